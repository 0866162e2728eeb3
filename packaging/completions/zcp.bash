# bash completion for zcp. The option lists are read from `zcp CMD --help`,
# so they never drift from the binary.
_zcp() {
  local cur prev words cword
  _init_completion || return
  local commands="serve get put bench"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
    return
  fi
  local cmd=${words[1]}
  case $prev in
    --engine)
      COMPREPLY=($(compgen -W "sendfile splice copy mmap" -- "$cur"))
      return ;;
    --digest)
      COMPREPLY=($(compgen -W "off lazy startup" -- "$cur"))
      return ;;
    --log-format)
      COMPREPLY=($(compgen -W "combined json" -- "$cur"))
      return ;;
    --file|--raw|-o|--output|--tls-cert|--tls-key|--cacert)
      _filedir
      return ;;
    --dir)
      _filedir -d
      return ;;
    --listen|-l|--token|--timeout|--workers|-w|--size|--runs|--max-upload|-j|--parallel)
      return ;;
  esac
  if [[ $cur == -* ]]; then
    local opts
    opts=$("${words[0]}" "$cmd" --help 2>/dev/null | grep -oE -- '(^|[ ,])--?[a-zA-Z0-9][a-zA-Z0-9-]*' | tr -d ' ,' | sort -u)
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case $cmd in
    serve) _filedir -d ;;
    put|get) _filedir ;;
  esac
}
complete -F _zcp zcp
