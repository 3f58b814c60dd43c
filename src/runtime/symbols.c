/* SPDX-License-Identifier: MIT */
/*
 * Function names for crash backtraces (see symbols.h).
 *
 * glibc's backtrace_symbols_fd names only exported (dynamic) symbols, so a
 * frame in a static function or in an executable linked without -rdynamic
 * comes out as "(+0x1f83ea)". Here, before any crash, the ELF symbol
 * tables (.symtab) of the executable and of every loaded library that has
 * one are read into one sorted array of [start, end) -> name; the names
 * point into the files, mapped read-only for the life of the process. The
 * lookup is a binary search over that array: no allocation, no locks.
 */
#include "runtime/symbols.h"
#include <stddef.h>
#ifndef __ELF__
/* Not ELF (macOS: Mach-O): no table; crash reports keep what
 * backtrace_symbols_fd names. */
void t4__symbols_load(void) {}
const char *t4__symbols_find(uintptr_t addr, uintptr_t *offset)
{
    (void)addr, (void)offset;
    return NULL;
}
#else
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    uintptr_t lo, hi;
    const char *name;
} sym;

static sym *syms;
static size_t nsyms, cap;

static void add(uintptr_t lo, uintptr_t hi, const char *name)
{
    if (nsyms == cap) {
        size_t ncap = cap ? cap * 2 : 4096;
        sym *s = realloc(syms, ncap * sizeof *s);
        if (!s)
            return;
        syms = s;
        cap = ncap;
    }
    syms[nsyms++] = (sym){lo, hi, name};
}

/* Adds the function symbols of the ELF file at path, loaded at base. Only a
 * full .symtab is read: for the dynamic symbols glibc already has names. */
static void load_file(const char *path, uintptr_t base)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(ElfW(Ehdr)))
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return;
    size_t size = (size_t)st.st_size;
    const unsigned char *img = map;
    const ElfW(Ehdr) *eh = map;
    bool ok = memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_shentsize == sizeof(ElfW(Shdr)) &&
              eh->e_shoff < size && eh->e_shnum <= (size - eh->e_shoff) / sizeof(ElfW(Shdr));
    const ElfW(Shdr) *sh = ok ? (const ElfW(Shdr) *)(img + eh->e_shoff) : NULL;
    size_t before = nsyms;
    for (size_t i = 0; ok && i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const ElfW(Shdr) *strs = &sh[sh[i].sh_link];
        if (sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset || strs->sh_offset > size ||
            strs->sh_size > size - strs->sh_offset || strs->sh_size == 0)
            continue;
        const ElfW(Sym) *s = (const ElfW(Sym) *)(img + sh[i].sh_offset);
        const char *names = (const char *)(img + strs->sh_offset);
        if (names[strs->sh_size - 1] != '\0')
            continue;
        size_t n = sh[i].sh_size / sizeof(ElfW(Sym));
        for (size_t k = 0; k < n; k++) {
            if (ELF64_ST_TYPE(s[k].st_info) != STT_FUNC || s[k].st_value == 0 || s[k].st_size == 0 ||
                s[k].st_name >= strs->sh_size)
                continue;
            uintptr_t lo = base + (uintptr_t)s[k].st_value;
            add(lo, lo + (uintptr_t)s[k].st_size, names + s[k].st_name);
        }
    }
    if (nsyms == before)
        munmap(map, size); /* nothing of it is referenced */
}

static int each_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    bool *first = arg;
    const char *path = info->dlpi_name;
    if (*first) { /* the executable comes first, with an empty name */
        *first = false;
        load_file("/proc/self/exe", (uintptr_t)info->dlpi_addr);
    } else if (path && path[0] == '/') {
        load_file(path, (uintptr_t)info->dlpi_addr);
    }
    return 0;
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = ((const sym *)a)->lo, y = ((const sym *)b)->lo;
    return x < y ? -1 : x > y;
}

void t4__symbols_load(void)
{
    if (syms)
        return;
    bool first = true;
    dl_iterate_phdr(each_object, &first);
    if (syms)
        qsort(syms, nsyms, sizeof *syms, by_address);
}

typedef struct {
    const char *path;
    uintptr_t base;
    bool found;
} wanted;

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    wanted *w = arg;
    if (info->dlpi_name && strcmp(info->dlpi_name, w->path) == 0) {
        w->base = (uintptr_t)info->dlpi_addr;
        w->found = true;
        return 1;
    }
    return 0;
}

void t4__symbols_add(const char *path)
{
    wanted w = {path, 0, false};
    dl_iterate_phdr(find_object, &w);
    if (!w.found)
        return;
    load_file(path, w.base);
    if (syms)
        qsort(syms, nsyms, sizeof *syms, by_address);
}

const char *t4__symbols_find(uintptr_t addr, uintptr_t *offset)
{
    size_t lo = 0, hi = nsyms;
    while (lo < hi) { /* the last symbol starting at or before addr */
        size_t mid = lo + (hi - lo) / 2;
        if (syms[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= syms[lo - 1].hi)
        return NULL;
    *offset = addr - syms[lo - 1].lo;
    return syms[lo - 1].name;
}
#endif /* __ELF__ */
