#!/usr/bin/env bash
# Lints the AWS deploy template (infra/template.yaml) with cfn-lint, offline:
# the SAM transform runs locally and nothing contacts AWS. Any finding, error,
# warning or informational, fails. Runs from any folder.
# Needs cfn-lint (`python3 -m pip install cfn-lint`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if command -v cfn-lint >/dev/null 2>&1; then
  lint=(cfn-lint)
elif python3 -c 'import cfnlint' >/dev/null 2>&1; then
  # pip installed it but not on PATH (e.g. ~/.local/bin): call its entry point.
  lint=(python3 -c 'import sys; sys.argv[0] = "cfn-lint"; from cfnlint.runner import main; sys.exit(main())')
else
  echo "cfn-lint is missing: python3 -m pip install cfn-lint" >&2
  exit 1
fi

echo "$("${lint[@]}" --version)"
# eu-west-3 is the region the guide deploys to; us-east-1 is where CloudFront's
# certificate lives and cfn-lint's reference region.
"${lint[@]}" --regions eu-west-3 us-east-1 --include-checks I -- "$here/template.yaml"
echo "infra/template.yaml: no finding"
