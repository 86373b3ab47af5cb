// SPDX-License-Identifier: GPL-2.0
/*
 * kexec_pe_fuzz: run the parser the calling process registered (it
 * registered as a loader, then its struct kexec_pe_parser_ops) on images
 * user space writes, for the test bed's in-VM fuzz loop
 * (selftests/kexec/kexec_pe_fuzz.c). TEST ONLY: it needs a kernel with
 * CONFIG_KEXEC_PE_TEST_RUN, which runs a parser on bytes no signature
 * covers; never build it for a production kernel.
 *
 * /sys/kernel/debug/kexec_pe_fuzz/run, opened read-write by root:
 *   pwrite(fd, image, len, 0)   the image (more writes at the offset where
 *                               the last ended append to it; offset 0
 *                               starts a new one), at most 64 MiB
 *   pread(fd, buf, n, 0)        runs kexec_pe_test_run() on it and reads
 *                               "<ret> <kernel> <initrd> <cmdline> <calls>
 *                               <pinned>\n": 0 or -errno, the lengths of
 *                               the three results, the kfunc calls, and
 *                               whether a manifest pinned them
 *
 * Each open file has its own image; memory is charged to the writer.
 */
#define pr_fmt(fmt)	KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kexec_pe.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/kexec_pe.h>

#define FUZZ_IMAGE_MAX	(64U << 20)

struct fuzz_image {
	struct mutex lock;	/* the fields below; a file may be shared */
	u8 *buf;
	size_t len;
	size_t cap;
};

static struct dentry *fuzz_dir;

static int fuzz_open(struct inode *inode, struct file *file)
{
	struct fuzz_image *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

static int fuzz_release(struct inode *inode, struct file *file)
{
	struct fuzz_image *f = file->private_data;

	kvfree(f->buf);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

static ssize_t fuzz_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	struct fuzz_image *f = file->private_data;
	size_t end, cap;
	ssize_t ret;
	u8 *buf;

	mutex_lock(&f->lock);
	if (*ppos == 0)
		f->len = 0;
	ret = -EINVAL;
	if (*ppos != f->len)
		goto out;
	ret = -EFBIG;
	if (check_add_overflow(f->len, count, &end) || end > FUZZ_IMAGE_MAX)
		goto out;
	if (end > f->cap) {
		cap = min_t(size_t, max(end, 2 * f->cap), FUZZ_IMAGE_MAX);
		ret = -ENOMEM;
		buf = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
		if (!buf)
			goto out;
		memcpy(buf, f->buf, f->len);
		kvfree(f->buf);
		f->buf = buf;
		f->cap = cap;
	}
	ret = -EFAULT;
	if (copy_from_user(f->buf + f->len, ubuf, count))
		goto out;
	f->len = end;
	*ppos = end;
	ret = count;
out:
	mutex_unlock(&f->lock);
	return ret;
}

static ssize_t fuzz_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	struct fuzz_image *f = file->private_data;
	struct kexec_pe_test_result res;
	char line[128];
	int ret, n;
	u8 *exact;

	if (*ppos)
		return 0;
	mutex_lock(&f->lock);
	/*
	 * in a buffer of exactly its size, so that KASAN sees a read past the
	 * image rather than the rest of a larger one
	 */
	exact = kvmalloc(f->len ?: 1, GFP_KERNEL_ACCOUNT);
	if (exact) {
		memcpy(exact, f->buf, f->len);
		ret = kexec_pe_test_run(exact, f->len, &res);
		kvfree(exact);
	}
	mutex_unlock(&f->lock);
	if (!exact)
		return -ENOMEM;
	n = scnprintf(line, sizeof(line), "%d %llu %llu %llu %u %d\n", ret,
		      res.len[KEXEC_PE_DST_KERNEL], res.len[KEXEC_PE_DST_INITRD],
		      res.len[KEXEC_PE_DST_CMDLINE], res.calls, res.pinned);
	return simple_read_from_buffer(ubuf, count, ppos, line, n);
}

static const struct file_operations fuzz_fops = {
	.owner = THIS_MODULE,
	.open = fuzz_open,
	.release = fuzz_release,
	.read = fuzz_read,
	.write = fuzz_write,
	.llseek = default_llseek,
};

static int __init fuzz_init(void)
{
	fuzz_dir = debugfs_create_dir("kexec_pe_fuzz", NULL);
	debugfs_create_file("run", 0600, fuzz_dir, NULL, &fuzz_fops);
	pr_warn("loaded: parsers can now be run on unsigned images (test kernels only)\n");
	return 0;
}

static void __exit fuzz_exit(void)
{
	debugfs_remove_recursive(fuzz_dir);
}

module_init(fuzz_init);
module_exit(fuzz_exit);
MODULE_IMPORT_NS(KEXEC_PE_TEST);
MODULE_DESCRIPTION("Run the kexec PE-BPF parser on written images (test only)");
MODULE_LICENSE("GPL");
