/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest programs' loaders (test_run.h, keep_loader.h) load an
 * image's parser as kexec-pe does (userspace/src/bpf.cpp): parse()
 * sleepable and the struct kexec_pe_parser_ops map registered through a
 * link, whichever spelling the object uses ("struct_ops/" and
 * ".struct_ops", which libbpf 1.1 reads, or "struct_ops.s/" and
 * ".struct_ops.link").
 */
#ifndef PARSER_OPS_H
#define PARSER_OPS_H

#include <errno.h>
#include <bpf/libbpf.h>

/* The struct_ops map of @obj, or NULL with errno ENOENT */
static inline struct bpf_map *bed_parser_ops(struct bpf_object *obj)
{
	struct bpf_map *map, *ops = NULL;

	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			ops = map;
	if (!ops)
		errno = ENOENT;
	return ops;
}

/*
 * Register the loaded parser @obj again: a parser serves one session, the
 * one that waited for it when it was registered
 */
static inline struct bpf_link *bed_parser_register(struct bpf_object *obj)
{
	struct bpf_map *ops = bed_parser_ops(obj);

	return ops ? bpf_map__attach_struct_ops(ops) : NULL;
}

/* Open @len bytes of ELF at @elf, load the parser and register it */
static inline struct bpf_link *bed_parser_attach(const void *elf, size_t len,
						 struct bpf_object **obj)
{
	struct bpf_program *prog;
	struct bpf_map *ops;

	*obj = bpf_object__open_mem(elf, len, NULL);
	if (!*obj)
		return NULL;
	bpf_object__for_each_program(prog, *obj)
		if (bpf_program__type(prog) == BPF_PROG_TYPE_STRUCT_OPS)
			bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_SLEEPABLE);
	ops = bed_parser_ops(*obj);
	if (!ops)
		return NULL;
	bpf_map__set_map_flags(ops, bpf_map__map_flags(ops) | BPF_F_LINK);
	if (bpf_object__load(*obj))
		return NULL;
	return bpf_map__attach_struct_ops(ops);
}

#endif /* PARSER_OPS_H */
