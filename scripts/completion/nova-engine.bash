# bash completion for nova-engine. Commands and options come from the
# binary itself (`nova-engine --list-commands`, `<command> --help`), so they
# never drift from what it accepts.
_nova_engine() {
    local cur prev words cword
    _init_completion 2>/dev/null || { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
    case $prev in
    --provider|--probe-provider)
        COMPREPLY=($(compgen -W "anthropic openai openai-codex openrouter google mistral groq xai deepseek" -- "$cur")); return ;;
    --agent)
        COMPREPLY=($(compgen -W "$(ls "${NOVA_ENGINE_STATE_DIR:-$HOME/.nova-engine}/agents" 2>/dev/null)" -- "$cur")); return ;;
    --log|import) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    local typed="" i
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == -* ]] && break
        typed+="${typed:+ }${words[i]}"
    done
    local cmds; cmds=$(nova-engine --list-commands 2>/dev/null)
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(nova-engine $typed --help 2>/dev/null | grep -o -- '--[a-z-]*' | sort -u)" -- "$cur"))
        return
    fi
    local next
    next=$(printf '%s\n' "$cmds" | awk -v t="$typed" -v n=$((cword)) '
        { split($0, w, " "); if (t == "" || index($0, t " ") == 1) { k = split(t, tw, " "); if (t == "") k = 0; if (w[k+1] != "") print w[k+1] } }' | sort -u)
    if [[ -z $next && $typed == mount* || $typed == umount* ]]; then
        COMPREPLY=($(compgen -d -- "$cur")); return
    fi
    COMPREPLY=($(compgen -W "$next" -- "$cur"))
}
complete -F _nova_engine nova-engine
