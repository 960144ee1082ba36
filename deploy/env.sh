# Shared by the deployment scripts: settings from the environment first, then from the
# environment file (/etc/sinergi/sinergi.env, or SINERGI_ENV_FILE) for what is not set.
# The file has systemd's EnvironmentFile format: KEY=value lines, # comments, optional quotes.

load_env() {
  local file=${SINERGI_ENV_FILE:-/etc/sinergi/sinergi.env} line key value
  [ -r "$file" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    case "$line" in '' | '#'* | ';'*) continue ;; esac
    case "$line" in *=*) ;; *) continue ;; esac
    key=${line%%=*}
    value=${line#*=}
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [ -n "${!key+x}" ] && continue # the environment wins over the file
    case "$value" in
      \"*\") value=${value:1:${#value}-2} ;;
      \'*\') value=${value:1:${#value}-2} ;;
    esac
    export "$key=$value"
  done <"$file"
}

# use_libpq_url URL: sets PG_URL to the database URL for libpq (no driver suffix, no password)
# and exports the password as PGPASSWORD: a command line is visible to every account on the
# server (ps, /proc/PID/cmdline), a process's environment only to its owner.
use_libpq_url() {
  local url=${1/+psycopg2/} rest creds password
  url=${url/+psycopg/}
  PG_URL=$url
  case "$url" in *://*@*) ;; *) return 0 ;; esac
  rest=${url#*://}
  creds=${rest%@*}
  case "$creds" in *:*) ;; *) return 0 ;; esac
  password=${creds#*:}
  # Percent-decoded, as libpq reads it from a URL (%40 is @); a backslash stays a backslash.
  password=${password//\\/\\\\}
  printf -v PGPASSWORD '%b' "${password//%/\\x}"
  export PGPASSWORD
  PG_URL="${url%%://*}://${creds%%:*}@${rest##*@}"
}
