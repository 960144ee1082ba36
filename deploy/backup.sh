#!/usr/bin/env bash
# Back up a Sinergi deployment: the database (pg_dump), the data folder (uploaded originals,
# evidence) and the Chroma folder (vectors), into one dated folder with checksums.
#
#   backup.sh [BACKUP_ROOT]            default: $SINERGI_BACKUP_DIR or /var/backups/sinergi
#
# Settings come from the environment, then from /etc/sinergi/sinergi.env (SINERGI_ENV_FILE):
#   SINERGI_DATABASE_URL   the database (postgresql+psycopg://user:pw@host/db)
#   SINERGI_DATA_DIR       the data folder (originals/, evidence/)
#   SINERGI_CHROMA_DIR     the Chroma server's --path
#   SINERGI_CHROMA_STOP / SINERGI_CHROMA_START
#                          commands that stop and start the Chroma server around the copy
#                          (default: systemctl stop|start sinergi-chroma)
#   SINERGI_BACKUP_KEEP    how many backups to keep (default 14)
#
# The bot keeps running: pg_dump reads one consistent snapshot, and the Chroma server is only
# stopped while its folder is copied (questions asked meanwhile are told the knowledge base is
# briefly unavailable; agreements and reminders are not affected).
set -euo pipefail
umask 077

. "$(dirname "$(readlink -f "$0")")/env.sh"
load_env

ROOT=${1:-${SINERGI_BACKUP_DIR:-/var/backups/sinergi}}
DB_URL=${SINERGI_DATABASE_URL:?SINERGI_DATABASE_URL is not set}
DATA_DIR=${SINERGI_DATA_DIR:?SINERGI_DATA_DIR is not set}
CHROMA_DIR=${SINERGI_CHROMA_DIR:?SINERGI_CHROMA_DIR is not set}
CHROMA_STOP=${SINERGI_CHROMA_STOP:-systemctl stop sinergi-chroma}
CHROMA_START=${SINERGI_CHROMA_START:-systemctl start sinergi-chroma}
KEEP=${SINERGI_BACKUP_KEEP:-14}
use_libpq_url "$DB_URL"  # PG_URL without the driver suffix; the password in PGPASSWORD

log() { printf '%s backup: %s\n' "$(date -u +%FT%TZ)" "$*"; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
DEST="$ROOT/sinergi-$STAMP"
WORK="$DEST.partial"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

log "database -> $DEST/database.dump"
pg_dump --format=custom --no-owner --no-privileges --file "$WORK/database.dump" "$PG_URL"
REVISION=$(psql "$PG_URL" -Atqc "SELECT version_num FROM alembic_version" 2>/dev/null || true)

log "data folder $DATA_DIR"
tar -C "$DATA_DIR" --exclude=./chroma --exclude='./sinergi.db*' -czf "$WORK/data.tar.gz" .

log "Chroma folder $CHROMA_DIR (server stopped for the copy)"
restart_chroma() { sh -c "$CHROMA_START" || log "WARNING: could not start Chroma: $CHROMA_START"; }
sh -c "$CHROMA_STOP"
trap 'restart_chroma; rm -rf "$WORK"' EXIT
tar -C "$CHROMA_DIR" -czf "$WORK/chroma.tar.gz" .
trap 'rm -rf "$WORK"' EXIT
restart_chroma

{
  echo "created_at=$STAMP"
  echo "schema_revision=${REVISION:-unknown}"
  echo "pg_dump=$(pg_dump --version)"
  echo "host=$(hostname)"
} >"$WORK/MANIFEST"
(cd "$WORK" && sha256sum database.dump data.tar.gz chroma.tar.gz MANIFEST >SHA256SUMS)
mv "$WORK" "$DEST"
trap - EXIT
log "done: $DEST ($(du -sh "$DEST" | cut -f1))"

# Keep the newest $KEEP backups.
ls -1d "$ROOT"/sinergi-*Z 2>/dev/null | sort | head -n "-$KEEP" | while read -r old; do
  log "removing old backup $old"
  rm -rf "$old"
done
