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
