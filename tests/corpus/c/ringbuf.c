/* ringbuf.c - a lock-free single-producer ring buffer, option parsing and string helpers. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ring {
    unsigned char *slots;
    size_t slot_size;
    size_t capacity; /* a power of two */
    atomic_size_t head;
    atomic_size_t tail;
};

static bool is_power_of_two(size_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

struct ring *ring_new(size_t capacity, size_t slot_size)
{
    struct ring *r;

    if (!is_power_of_two(capacity) || slot_size == 0)
        return NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->slots = calloc(capacity, slot_size);
    if (r->slots == NULL) {
        free(r);
        return NULL;
    }
    r->capacity = capacity;
    r->slot_size = slot_size;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return r;
}

bool ring_push(struct ring *r, const void *item)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

    if (head - tail == r->capacity)
        return false;
    memcpy(r->slots + (head & (r->capacity - 1)) * r->slot_size, item, r->slot_size);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return true;
}

bool ring_pop(struct ring *r, void *item)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);

    if (head == tail)
        return false;
    memcpy(item, r->slots + (tail & (r->capacity - 1)) * r->slot_size, r->slot_size);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

void ring_free(struct ring *r)
{
    if (r) {
        free(r->slots);
        free(r);
    }
}

struct options {
    int verbose;
    int jobs;
    const char *output;
    const char **inputs;
    int input_count;
};

static void usage(const char *program)
{
    fprintf(stderr, "usage: %s [-v] [-j jobs] [-o output] input...\n", program);
}

int parse_options(int argc, char **argv, struct options *opts)
{
    int i;

    memset(opts, 0, sizeof *opts);
    opts->jobs = 1;
    opts->inputs = calloc((size_t)argc, sizeof *opts->inputs);
    if (!opts->inputs)
        return -1;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            while (++i < argc)
                opts->inputs[opts->input_count++] = argv[i];
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0') {
            opts->inputs[opts->input_count++] = arg;
            continue;
        }
        switch (arg[1]) {
        case 'v':
            opts->verbose++;
            break;
        case 'j':
            if (i + 1 >= argc) {
                usage(argv[0]);
                return -1;
            }
            opts->jobs = atoi(argv[++i]);
            if (opts->jobs <= 0 || opts->jobs > 256) {
                fprintf(stderr, "bad job count: %s\n", argv[i]);
                return -1;
            }
            break;
        case 'o':
            opts->output = i + 1 < argc ? argv[++i] : NULL;
            if (!opts->output) {
                usage(argv[0]);
                return -1;
            }
            break;
        case 'h':
            usage(argv[0]);
            return 1;
        default:
            fprintf(stderr, "unknown option %s\n", arg);
            usage(argv[0]);
            return -1;
        }
    }
    return opts->input_count > 0 ? 0 : -1;
}

char *str_trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (*s == '\0')
        return s;
    end = s + strlen(s) - 1;
    while (end > s && (*end == ' ' || *end == '\t' || *end == '\n'))
        end--;
    end[1] = '\0';
    return s;
}

size_t str_split(char *s, char sep, char **fields, size_t max_fields)
{
    size_t count = 0;
    char *start = s;

    if (max_fields == 0)
        return 0;
    for (;; s++) {
        if (*s == sep || *s == '\0') {
            bool last = *s == '\0';
            *s = '\0';
            fields[count++] = start;
            if (last || count == max_fields)
                break;
            start = s + 1;
        }
    }
    return count;
}

int str_starts_with(const char *s, const char *prefix)
{
    while (*prefix) {
        if (*s++ != *prefix++)
            return 0;
    }
    return 1;
}

static int compare_strings(const void *a, const void *b)
{
    const char *const *left = a;
    const char *const *right = b;
    return strcmp(*left, *right);
}

void sort_unique(const char **items, size_t *count)
{
    size_t i, kept = 0;

    if (*count < 2)
        return;
    qsort(items, *count, sizeof *items, compare_strings);
    for (i = 0; i < *count; i++) {
        if (kept == 0 || strcmp(items[kept - 1], items[i]) != 0)
            items[kept++] = items[i];
    }
    *count = kept;
}
