"""Users, roles, invites and access requests: who may use Sinergi and as what."""
