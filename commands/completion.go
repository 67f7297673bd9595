package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func newCompletionCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: bash, zsh or fish",
		UsageText: "kamobot completion bash|zsh|fish",
		Description: `Load it in the shell's startup file:

  bash:  source <(kamobot completion bash)               # in ~/.bashrc
  zsh:   source <(kamobot completion zsh)                # in ~/.zshrc
  fish:  kamobot completion fish > ~/.config/fish/completions/kamobot.fish`,
		Args: true,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("give one shell: bash, zsh or fish")
			}
			script, err := bashCompletion, error(nil)
			switch shell := c.Args().First(); shell {
			case "bash": // script is bash's already
			case "zsh":
				script = zshCompletion
			case "fish":
				if script, err = c.App.ToFishCompletion(); err != nil {
					return fmt.Errorf("fish completion: %w", err)
				}
			default:
				if s := suggest(shell, []string{"bash", "zsh", "fish"}); s != "" {
					return usageErrorf("unknown shell %q; did you mean %s?", shell, s)
				}
				return usageErrorf("unknown shell %q: use bash, zsh or fish", shell)
			}
			_, err = fmt.Fprint(d.Stdout, script)
			return err
		},
	}
}

// bashCompletion asks kamobot itself (--generate-bash-completion) for the
// words that may follow, as urfave/cli's autocomplete/bash_autocomplete.
const bashCompletion = `# bash completion for kamobot: source <(kamobot completion bash)
_kamobot_complete() {
  local cur words cword
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
  local opts
  if [[ "$cur" == "-"* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _kamobot_complete kamobot
`

// zshCompletion is urfave/cli's autocomplete/zsh_autocomplete for kamobot.
const zshCompletion = `#compdef kamobot
# zsh completion for kamobot: source <(kamobot completion zsh)
_kamobot_complete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _kamobot_complete kamobot
fi
`
