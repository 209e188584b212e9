#!/usr/bin/env python3
"""Summarise a WebAssembly binary: sections and their sizes, imports, exports,
custom sections. Standard library only.

    python3 wasm_info.py FILE.wasm...            # human-readable summary
    python3 wasm_info.py --imports FILE.wasm...  # one "module.name kind" per line
    python3 wasm_info.py --code-size FILE.wasm   # code section payload bytes
"""
import sys

SECTION_NAMES = {
    0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
    6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
    12: "datacount", 13: "tag",
}
KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data, self.pos = data, pos
        self.end = len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise ValueError("unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def name(self):
        n = self.uleb()
        s = self.data[self.pos:self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return s

    def skip_limits(self):
        flags = self.byte()
        self.uleb()
        if flags & 1:
            self.uleb()


def parse(data):
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm binary (bad magic)")
    if data[4:8] != b"\x01\0\0\0":
        raise ValueError("unsupported wasm version")
    r = Reader(data, 8)
    info = {"sections": [], "imports": [], "exports": [], "custom": [], "functions": 0}
    while r.pos < len(data):
        sid = r.byte()
        size = r.uleb()
        start = r.pos
        end = start + size
        name = SECTION_NAMES.get(sid, "unknown(%d)" % sid)
        s = Reader(data, start, end)
        if sid == 0:
            cname = s.name()
            info["custom"].append((cname, end - s.pos))
            name = "custom:" + cname
        elif sid == 2:
            for _ in range(s.uleb()):
                mod, field = s.name(), s.name()
                kind = s.byte()
                if kind == 0:
                    s.uleb()
                elif kind == 1:
                    s.byte()
                    s.skip_limits()
                elif kind == 2:
                    s.skip_limits()
                elif kind == 3:
                    s.byte()
                    s.byte()
                elif kind == 4:
                    s.byte()
                    s.uleb()
                info["imports"].append((mod, field, KINDS.get(kind, str(kind))))
        elif sid == 7:
            for _ in range(s.uleb()):
                field = s.name()
                kind = s.byte()
                s.uleb()
                info["exports"].append((field, KINDS.get(kind, str(kind))))
        elif sid == 10:
            info["functions"] = s.uleb()
            info["code_size"] = size
        info["sections"].append((name, size))
        r.pos = end
    if r.pos != len(data):
        raise ValueError("section overruns the file")
    return info


def main(argv):
    mode = "summary"
    if argv and argv[0] in ("--imports", "--code-size"):
        mode, argv = argv[0], argv[1:]
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in argv:
        with open(path, "rb") as f:
            data = f.read()
        info = parse(data)
        if mode == "--imports":
            for mod, field, kind in info["imports"]:
                print("%s.%s %s" % (mod, field, kind))
        elif mode == "--code-size":
            print(info.get("code_size", 0))
        else:
            print("%s: %d bytes, %d functions, code section %d bytes"
                  % (path, len(data), info["functions"], info.get("code_size", 0)))
            for name, size in info["sections"]:
                print("  %-24s %9d" % (name, size))
            for mod, field, kind in info["imports"]:
                print("  import %s.%s (%s)" % (mod, field, kind))
            for field, kind in info["exports"]:
                print("  export %s (%s)" % (field, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
