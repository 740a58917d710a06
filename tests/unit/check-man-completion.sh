#!/bin/bash
# The kurir-cli man page and bash completion cannot drift from kurir-cli:
# every command that "kurir-cli --help" lists, and every option that
# "kurir-cli COMMAND --help" lists, is in both; and the completion
# function, run as bash runs it, completes commands, options, fixed
# values, account names and folder names.
#
#   check-man-completion.sh SOURCE_ROOT KURIR_CLI
set -u
src=$1
cli=$2
man=$src/data/man/kurir-cli.1
completion=$src/data/completion/kurir-cli
status=0
count=0

ok () { count=$((count + 1)); echo "ok $count - $*"; }
not_ok () { count=$((count + 1)); echo "not ok $count - $*"; status=1; }

# Options as the man page writes them: roff escapes "\-" for "-".
man_text=$(sed 's/\\-/-/g' "$man")

commands=$(LC_ALL=C "$cli" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
[ -n "$commands" ] || not_ok "kurir-cli --help lists commands"

# "kurir-cli COMMAND --help" names the command in its usage line.
check_usage () { # HELP-ARGS...
  local usage
  usage=$(LC_ALL=C "$cli" "$@" --help 2>&1 | sed -n '/^Usage:/{n;p;q}')
  if [[ "$usage" == "  kurir-cli $* [OPTION"* ]]; then
    ok "kurir-cli $* --help names the command"
  else
    not_ok "kurir-cli $* --help names the command: $usage"
  fi
}

check_options () { # LABEL HELP-ARGS...
  local label=$1 option
  shift
  for option in $(LC_ALL=C "$cli" "$@" --help 2>&1 |
                  grep -oE '^  (-[a-zA-Z], )?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*' |
                  grep -vx -- '--help'); do
    if grep -qE -- "(^|[^a-z-])$option([^a-z-]|$)" <<<"$man_text"; then
      ok "man page documents $label $option"
    else
      not_ok "man page documents $label $option"
    fi
    if grep -qE -- "(^|[^a-z-])$option([^a-z-]|$)" "$completion"; then
      ok "completion offers $label $option"
    else
      not_ok "completion offers $label $option"
    fi
  done
}

for command in $commands; do
  if grep -qE "^\.SS $command( |$)" "$man"; then
    ok "man page has a section for $command"
  else
    not_ok "man page has a section for $command"
  fi
  if grep -qE "^ *local commands='([a-z ]* )?$command( [a-z ]*)?'" "$completion"; then
    ok "completion lists $command"
  else
    not_ok "completion lists $command"
  fi
  if [ "$command" = account ]; then
    for sub in add set list remove; do
      check_options "account $sub" account "$sub"
      check_usage account "$sub"
    done
  else
    check_options "$command" "$command"
    # flag, delete and move have no options: their own usage line.
    case $command in flag|delete|move) ;; *) check_usage "$command" ;; esac
  fi
done

# Run the completion function as bash would, against a throwaway config
# with two accounts and a stand-in kurir-cli that lists folders.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/config/kurir/accounts"
touch "$tmp/config/kurir/accounts/work.conf" "$tmp/config/kurir/accounts/home.conf"
cat >"$tmp/kurir-cli" <<'STUB'
#!/bin/sh
[ "$1" = folders ] || exit 2
printf 'work\tINBOX\t3\t1\nwork\tArchive\t10\t0\nhome\tINBOX\t1\t0\n'
STUB
chmod +x "$tmp/kurir-cli"

complete_line () { # WITH-BASH-COMPLETION LINE → the sorted completions
  XDG_CONFIG_HOME=$tmp/config HOME=$tmp bash --norc --noprofile -c '
    [ "$1" = yes ] && . /usr/share/bash-completion/bash_completion
    . "$2"
    COMP_LINE=$3
    COMP_POINT=${#COMP_LINE}
    # Split as readline does, "=" being a word break.
    read -r -a COMP_WORDS <<<"$(sed "s/=/ = /g" <<<"$COMP_LINE")"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    [[ $COMP_LINE == *"=" ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _kurir_cli
    printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
  ' sh "$1" "$completion" "$2"
}

expect () { # WITH LINE EXPECTED
  local got
  got=$(complete_line "$1" "$2")
  if [ "$got" = "$3" ]; then
    ok "completing '$2' ($1 bash-completion) gives '$3'"
  else
    not_ok "completing '$2' ($1 bash-completion) gives '$3', not '$got'"
  fi
}

modes=no
[ -f /usr/share/bash-completion/bash_completion ] && modes="yes no"
for with in $modes; do
  expect "$with" "$tmp/kurir-cli se" "search send "
  expect "$with" "$tmp/kurir-cli account " "add list remove set "
  expect "$with" "$tmp/kurir-cli sync " "home work "
  expect "$with" "$tmp/kurir-cli list --account=w" "work "
  expect "$with" "$tmp/kurir-cli list --account work --folder A" "Archive "
  expect "$with" "$tmp/kurir-cli account add x --security=s" "starttls "
  expect "$with" "$tmp/kurir-cli show --h" "--headers --help "
  expect "$with" "$tmp/kurir-cli flag 42 +f" "+flagged "
done

echo "1..$count"
exit $status
