#!/usr/bin/env bash
# Restore a Sinergi backup made by backup.sh, then check it.
#
#   restore.sh BACKUP_FOLDER
#
# Restores into the database, data folder and Chroma folder that the settings name
# (SINERGI_DATABASE_URL, SINERGI_DATA_DIR, SINERGI_CHROMA_DIR; from the environment, then
# from /etc/sinergi/sinergi.env). For the monthly drill, point them at a scratch database and
# scratch folders (docs/deploy.md). The database must exist and be empty, the folders empty or
# absent: a restore never overwrites anything.
#
#   SINERGI_CHROMA_STOP / SINERGI_CHROMA_START  stop and start that Chroma server
#   SINERGI_BIN                                 the sinergi command (default: this checkout's)
#
# Then: the checksums are verified, the schema is upgraded to this version of Sinergi, every
# passage is checked for its vector (and re-embedded when the Chroma copy is older than the
# database), and `sinergi status` must report every part up.
set -euo pipefail
umask 077

. "$(dirname "$(readlink -f "$0")")/env.sh"
load_env

BACKUP=${1:?usage: restore.sh BACKUP_FOLDER}
DB_URL=${SINERGI_DATABASE_URL:?SINERGI_DATABASE_URL is not set}
DATA_DIR=${SINERGI_DATA_DIR:?SINERGI_DATA_DIR is not set}
CHROMA_DIR=${SINERGI_CHROMA_DIR:?SINERGI_CHROMA_DIR is not set}
CHROMA_STOP=${SINERGI_CHROMA_STOP:-systemctl stop sinergi-chroma}
CHROMA_START=${SINERGI_CHROMA_START:-systemctl start sinergi-chroma}
SINERGI=${SINERGI_BIN:-$(dirname "$(readlink -f "$0")")/../.venv/bin/sinergi}
use_libpq_url "$DB_URL"  # PG_URL without the driver suffix; the password in PGPASSWORD

log() { printf '%s restore: %s\n' "$(date -u +%FT%TZ)" "$*"; }
fail() { log "FAILED: $*"; exit 1; }
empty_dir() { [ ! -e "$1" ] || [ -z "$(ls -A "$1")" ]; }

log "checksums of $BACKUP"
(cd "$BACKUP" && sha256sum --check --quiet SHA256SUMS) || fail "the backup is damaged"
cat "$BACKUP/MANIFEST"

TABLES=$(psql "$PG_URL" -Atqc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") \
  || fail "cannot reach the database (create it first: createdb ...)"
[ "$TABLES" = 0 ] || fail "the database is not empty ($TABLES tables): restore into a new one"
empty_dir "$DATA_DIR" || fail "$DATA_DIR is not empty"
empty_dir "$CHROMA_DIR" || fail "$CHROMA_DIR is not empty"

log "database"
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname "$PG_URL" "$BACKUP/database.dump"

log "data folder -> $DATA_DIR"
mkdir -p "$DATA_DIR"
tar -C "$DATA_DIR" -xzf "$BACKUP/data.tar.gz"

log "Chroma folder -> $CHROMA_DIR"
sh -c "$CHROMA_STOP" || true
mkdir -p "$CHROMA_DIR"
tar -C "$CHROMA_DIR" -xzf "$BACKUP/chroma.tar.gz"
sh -c "$CHROMA_START"

log "schema"
"$SINERGI" db upgrade

log "vectors"
if ! "$SINERGI" kb check; then
  log "re-embedding the passages whose vectors the Chroma copy lacks"
  "$SINERGI" kb check --repair
fi

log "health"
"$SINERGI" status
log "done: now ask a question you know the answer to (sinergi kb ask ...) and list agreements"
