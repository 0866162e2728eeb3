#!/usr/bin/python3
"""Fails when a file includes across a forbidden boundary (docs/DESIGN.md's map).

Every core file belongs to one subsystem: src/zcp/<subsystem>/ by its folder,
include/zcp/<name>.h by the table PUBLIC below. A subsystem may include its
own files and those of the subsystems listed in MAY_INCLUDE; public headers
may include public headers only (an install ships nothing else); the CLI may
include anything. Run from anywhere: paths are relative to the repository.
"""
import pathlib
import re
import sys

MAY_INCLUDE = {
    "base": set(),
    "tls": {"base"},
    "engine": {"base"},
    "http": {"base", "tls", "engine"},
    "tar": {"base", "tls", "engine", "http"},
    "fanout": {"base", "tls", "engine", "http"},
    "bench": {"base", "engine"},
    "server": {"base", "tls", "engine", "http", "tar", "fanout"},
    "client": {"base", "tls", "engine", "http", "tar", "fanout"},
}

# The public API (<zcp/NAME.h>) and the subsystem each header belongs to.
PUBLIC = {
    "status.h": "base",
    "fd.h": "base",
    "socket_address.h": "base",
    "engine_spec.h": "engine",
    "send_engine.h": "engine",
    "recv_engine.h": "engine",
    "tls_options.h": "tls",
    "url.h": "http",
    "hop_result.h": "fanout",
    "server.h": "server",
    "downloader.h": "client",
    "uploader.h": "client",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+[<"](zcp/[^">]+)[">]')


def owner(include_path):
    """Subsystem of an include path like zcp/http/url.h or zcp/status.h."""
    parts = include_path.split("/")
    if len(parts) == 2:
        return PUBLIC.get(parts[1])
    return parts[1] if parts[1] in MAY_INCLUDE else None


def check_file(path, subsystem, public_only):
    errors = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        target = m.group(1)
        where = f"{path}:{number}: includes {target}"
        target_owner = owner(target)
        if target_owner is None:
            errors.append(f"{where}: no such subsystem or public header")
        elif public_only and target.count("/") != 1:
            errors.append(f"{where}: a public header may include public headers only")
        elif target_owner != subsystem and target_owner not in MAY_INCLUDE[subsystem]:
            errors.append(f"{where}: {subsystem} may not include {target_owner}")
    return errors


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    errors = []
    public_dir = root / "include" / "zcp"
    for header in sorted(public_dir.glob("*.h")):
        subsystem = PUBLIC.get(header.name)
        if subsystem is None:
            errors.append(f"{header}: public header missing from PUBLIC in {__file__}")
            continue
        errors += check_file(header, subsystem, public_only=True)
    for name in PUBLIC:
        if not (public_dir / name).exists():
            errors.append(f"{public_dir / name}: listed in PUBLIC but missing")
    core = root / "src" / "zcp"
    for path in sorted(core.rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        subsystem = path.relative_to(core).parts[0]
        if subsystem not in MAY_INCLUDE:
            errors.append(f"{path}: outside any subsystem folder")
            continue
        errors += check_file(path, subsystem, public_only=False)
    for e in errors:
        print(e, file=sys.stderr)
    print(f"check_layers: {len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
