"""The kernel builds' compiler (kernel_make's CC, scripts/kernel-cc): a
second build whose .incbin input differs must not get the first build's
object from ccache. This is how a kernel could come to trust a certificate
other than build/keys/test.crt: certs/system_certificates.S is the same in
every clone, and only the file it includes with .incbin differs."""
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def kernel_cc():
    """CC as kernel_make sets it, and the environment it exports."""
    out = subprocess.run(
        ["bash", "-c", '. scripts/lib.sh; arch_setup x86_64; kernel_make /nonexistent /nonexistent;'
         ' for a in "${KMAKE[@]}"; do case $a in CC=*) printf "%s\\0" "${a#CC=}";; esac; done;'
         ' env -0'],
        cwd=TOP, check=True, capture_output=True, text=True).stdout.split("\0")
    env = dict(kv.split("=", 1) for kv in out[1:] if "=" in kv)
    return out[0].split(), env


@unittest.skipUnless(shutil.which("ccache") and shutil.which("objcopy"), "ccache or objcopy missing")
class IncbinBypassesCcache(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kernel-cc-")
        self.addCleanup(shutil.rmtree, self.tmp)
        self.cc, self.env = kernel_cc()
        self.env["CCACHE_DIR"] = os.path.join(self.tmp, "ccache")
        self.assertEqual(self.env.get("CCACHE_DEPEND"), "1", "the test is about depend mode")

    def build(self, name, source, payload):
        with open(os.path.join(self.tmp, "payload.bin"), "wb") as f:
            f.write(payload)
        with open(os.path.join(self.tmp, name), "w") as f:
            f.write(source)
        obj = name + ".o"
        # as kbuild compiles: dependencies through -Wp,-MMD, source last
        subprocess.run(self.cc + ["-Wp,-MMD," + name + ".d", "-c", "-o", obj, name],
                       cwd=self.tmp, env=self.env, check=True)
        subprocess.run(["objcopy", "-O", "binary", "-j", ".rodata", obj, "out.bin"],
                       cwd=self.tmp, check=True)
        with open(os.path.join(self.tmp, "out.bin"), "rb") as f:
            return f.read()

    def test_incbin_input_change_is_seen(self):
        src = '\t.section .rodata\n\t.incbin "payload.bin"\n'
        for payload in (b"first certificate\n", b"second certificate\n", b"first certificate\n"):
            self.assertEqual(self.build("certs.S", src, payload), payload)

    def test_incbin_in_c_asm_is_seen(self):
        # kernel/configs.c and kernel/kheaders.c: .incbin inside asm()
        src = 'asm(".section .rodata\\n.incbin \\"payload.bin\\"\\n.previous");\n'
        for payload in (b"config one\n", b"config two\n"):
            self.assertEqual(self.build("configs.c", src, payload), payload)

    def test_other_files_still_hit(self):
        # the bypass is for .incbin only: the rest of the kernel is cached
        src = '\t.section .rodata\n\t.ascii "constant"\n'
        self.build("plain.S", src, b"")
        self.build("plain.S", src, b"")
        stats = subprocess.run(["ccache", "--print-stats"], env=self.env, check=True,
                               capture_output=True, text=True).stdout
        counts = dict(line.split("\t", 1) for line in stats.splitlines() if "\t" in line)
        hits = int(counts.get("direct_cache_hit", 0)) + int(counts.get("preprocessed_cache_hit", 0))
        self.assertEqual(hits, 1, stats)
