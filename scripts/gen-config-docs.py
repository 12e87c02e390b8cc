"""Regenerates docs/configuration.md from Sources/HyperionServer/Configuration/ConfigCatalog.swift.
A test fails when the page lacks a key of the catalogue, so run this after adding one."""
import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
src = (root / "Sources/HyperionServer/Configuration/ConfigCatalog.swift").read_text()
rows = re.findall(r'\.init\(key: "([^"]+)", defaultValue: "([^"]*)", meaning: "([^"]*)", isSecret: (true|false)\)', src)
out = [
    "# Configuration", "",
    "Hyperion reads one configuration, in this order of precedence:", "",
    "1. command-line flags (`--host`, `--port`, `--data-dir`, `--config`),",
    "2. environment variables: `HYPERION_` + the key in upper case with dots as underscores (`http.max_body_size` → `HYPERION_HTTP_MAX_BODY_SIZE`),",
    "3. an optional JSON file (`--config FILE` or `HYPERION_CONFIG_FILE`), nested by the dots of the key (`{\"log\": {\"level\": \"debug\"}}`),",
    "4. the defaults below.", "",
    "A value that is present but invalid (a port of `abc`, an unknown log level) stops start-up with a message naming the key,",
    "for example `hyperion: configuration error: port: must be an integer from 0 to 65535, got 'abc'`.",
    "Keys marked **secret** are masked by `hyperion config` and never logged.", "",
    "`hyperion config` prints the effective value of every key.", "",
    "| key | environment | default | meaning |", "|---|---|---|---|",
]
for key, default, meaning, secret in rows:
    env = "HYPERION_" + key.upper().replace(".", "_")
    out.append(f"| `{key}`{' (**secret**)' if secret == 'true' else ''} | `{env}` | {default} | {meaning} |")
(root / "docs/configuration.md").write_text("\n".join(out) + "\n")
print(f"docs/configuration.md: {len(rows)} keys")
