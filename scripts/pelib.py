"""Helpers shared by the scripts that build PE test images (mk-pe-images,
mk-boot-images): run a command, read a section table, mutate a signed
image, sign a side-car file as a module is signed, write a newc cpio
archive."""
import hashlib
import struct
import subprocess
import sys
import tempfile

PROG = "pelib"


def die(msg):
    sys.exit(f"{PROG}: error: {msg}")


def run(cmd, input=None, **kw):
    """@cmd's standard output; @input (bytes) its standard input. Both go
    through temporary files, not pipes: subprocess feeds and drains a pipe
    a few KiB per poll(2), slower than the compressors it feeds."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout:
        if input is not None:
            fin.write(input)
            fin.seek(0)
        r = subprocess.run(cmd, stdin=fin if input is not None else None, stdout=fout,
                           stderr=subprocess.PIPE, **kw)
        if r.returncode:
            die(f"{' '.join(cmd)}: {r.stderr.decode(errors='replace').strip()}")
        fout.seek(0)
        return fout.read()


def sections(path):
    """{name: (file offset, size, header offset)} of a PE image."""
    data = open(path, "rb").read()
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    nsec, = struct.unpack_from("<H", data, pe + 6)
    optsz, = struct.unpack_from("<H", data, pe + 20)
    out = {}
    for i in range(nsec):
        h = pe + 24 + optsz + 40 * i
        name = data[h:h + 8].rstrip(b"\0").decode()
        vsize, _, raw, off = struct.unpack_from("<IIII", data, h + 8)
        out[name] = (off, min(vsize, raw) if vsize else raw, h)
    return out


def elf_section(data, name):
    """(offset, size) of section @name in the ELF64 object @data."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    strtab = struct.unpack_from("<QQ", data, shoff + shstrndx * shentsize + 0x18)
    for i in range(shnum):
        h = shoff + i * shentsize
        noff, = struct.unpack_from("<I", data, h)
        start = strtab[0] + noff
        if data[start:data.index(b"\0", start)].decode() == name:
            return struct.unpack_from("<QQ", data, h + 0x18)
    die(f"no ELF section {name}")


def patch(path, pos, data):
    """Overwrite the bytes at @pos of @path (after signing: the mutation)."""
    with open(path, "r+b") as f:
        f.seek(pos)
        f.write(data)


def append_in_cert_table(path, blob):
    """Put @blob at the end of the signed PE32+ image @path, inside its
    certificate table, after the PKCS#7 message: the table's size (in the
    data directory) and the WIN_CERTIFICATE's length are not hashed, so
    the signature still verifies. Returns @blob's offset."""
    b = bytearray(open(path, "rb").read())
    opt = struct.unpack_from("<I", b, 0x3C)[0] + 24
    va, size = struct.unpack_from("<II", b, opt + 144)
    if not va or va + size != len(b):
        die(f"{path}: no certificate table at the end of the file")
    b += bytes(-len(b) % 8)
    at = len(b)
    b += blob + bytes(-len(blob) % 8)
    struct.pack_into("<I", b, opt + 148, len(b) - va)   # the table's size
    struct.pack_into("<I", b, va, len(b) - va)          # WIN_CERTIFICATE.dwLength
    with open(path, "wb") as f:
        f.write(b)
    return at


def flip(path, section=None, pos=None):
    """Invert one byte: the middle of @section, or the one at @pos."""
    if pos is None:
        off, size, _ = sections(path)[section]
        pos = off + size // 2
    with open(path, "rb") as f:
        f.seek(pos)
        b = f.read(1)
    patch(path, pos, bytes([b[0] ^ 0xFF]))


def sign_appended(src, dst, keys, key="test"):
    """@src with a PKCS#7 signature by @keys/@key.{key,crt} appended as to
    a kernel module (what scripts/sign-file writes): the detached
    signature (DER, no certificates, no signed attributes), struct
    module_signature (id_type PKEY_ID_PKCS7, sig_len big-endian) and the
    marker."""
    data = open(src, "rb").read()
    sig = run(["openssl", "smime", "-sign", "-binary", "-noattr", "-nocerts", "-md", "sha256",
               "-signer", f"{keys}/{key}.crt", "-inkey", f"{keys}/{key}.key", "-outform", "DER"],
              input=data)
    info = struct.pack(">BBBBB3xI", 0, 0, 2, 0, 0, len(sig))
    with open(dst, "wb") as f:
        f.write(data + sig + info + b"~Module signature appended~\n")
    return dst


def cpio(files, mode=0o100444):
    """A newc archive of {name: bytes}, each file with @mode; the
    directories of the names come first."""
    dirs = sorted({"/".join(n.split("/")[:i]) for n in files for i in range(1, n.count("/") + 1)})
    entries = [(d, None) for d in dirs] + sorted(files.items())
    out = b""
    for ino, (name, data) in enumerate(entries, 1):
        n = name.encode() + b"\0"
        m = 0o40755 if data is None else mode
        data = data or b""
        hdr = b"070701" + b"".join(b"%08X" % v for v in
                                   (ino, m, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0))
        out += hdr + n + b"\0" * (-(len(hdr) + len(n)) % 4) + data + b"\0" * (-len(data) % 4)
    n = b"TRAILER!!!\0"
    hdr = b"070701" + b"".join(b"%08X" % v for v in (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(n), 0))
    return out + hdr + n + b"\0" * (-(len(hdr) + len(n)) % 4)


def empty_pe(machine):
    """A PE32+ EFI application of headers only (0x1000 bytes), to add
    sections to"""
    b = bytearray(0x1000)
    b[0:2] = b"MZ"
    struct.pack_into("<I", b, 0x3C, 0x40)
    b[0x40:0x44] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", b, 0x44, machine, 0, 0, 0, 0, 240, 0x206)
    opt = 0x58
    struct.pack_into("<H", b, opt, 0x20B)
    struct.pack_into("<II", b, opt + 32, 0x1000, 0x200)	# Section-, FileAlignment
    struct.pack_into("<II", b, opt + 56, 0x1000, 0x1000)	# SizeOfImage, -Headers
    struct.pack_into("<H", b, opt + 68, 10)			# EFI application
    struct.pack_into("<I", b, opt + 108, 16)		# NumberOfRvaAndSizes
    return bytes(b)


# include/uapi/linux/kexec_pe.h: the manifest section
MANIFEST_SECTION = ".kexecmf"
DST = {"kernel": 1, "initrd": 2, "cmdline": 3}


def manifest(parts):
    """A .kexecmf section: parts are (dst, "image", offset, length),
    (dst, "zero", length) or (dst, "digest", data), dst a key of DST, or
    ("profile", n), the start of profile n's parts."""
    out = struct.pack("<4I", 0x666d706b, 1, len(parts), 0)
    for p in parts:
        if p[0] == "profile":
            out += struct.pack("<IIQQ", 0, 4, p[1], 0) + bytes(32)
            continue
        dst = DST[p[0]]
        if p[1] == "image":
            out += struct.pack("<IIQQ", dst, 1, p[2], p[3]) + bytes(32)
        elif p[1] == "zero":
            out += struct.pack("<IIQQ", dst, 2, 0, p[2]) + bytes(32)
        else:
            out += struct.pack("<IIQQ", dst, 3, 0, len(p[2])) + hashlib.sha256(p[2]).digest()
    return out


def text_len(data):
    """A .cmdline's length without trailing NULs and white space."""
    return len(data.rstrip(b"\0 \t\r\n"))

