/*
 * buffer.c - growable byte buffers, a line reader, an open-addressing hash map
 * and a tiny HTTP request-line parser.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_CAPACITY 64
#define MAP_LOAD_NUM 3
#define MAP_LOAD_DEN 4

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} buffer_t;

typedef struct {
    char *key;
    void *value;
    uint32_t hash;
} map_slot_t;

typedef struct {
    map_slot_t *slots;
    size_t cap;
    size_t count;
} map_t;

int buf_init(buffer_t *b, size_t capacity)
{
    if (capacity < BUF_MIN_CAPACITY)
        capacity = BUF_MIN_CAPACITY;
    b->data = malloc(capacity);
    if (!b->data)
        return -ENOMEM;
    b->len = 0;
    b->cap = capacity;
    return 0;
}

void buf_free(buffer_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int buf_reserve(buffer_t *b, size_t extra)
{
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : BUF_MIN_CAPACITY;
    char *grown;

    if (need <= b->cap)
        return 0;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return -EOVERFLOW;
        cap *= 2;
    }
    grown = realloc(b->data, cap);
    if (grown == NULL)
        return -ENOMEM;
    b->data = grown;
    b->cap = cap;
    return 0;
}

int buf_append(buffer_t *b, const void *bytes, size_t n)
{
    int err = buf_reserve(b, n);
    if (err)
        return err;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
    return 0;
}

int buf_printf(buffer_t *b, const char *fmt, ...);

int buf_append_escaped(buffer_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int err = 0;

    for (; *s && !err; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"':
            err = buf_append(b, "\\\"", 2);
            break;
        case '\\':
            err = buf_append(b, "\\\\", 2);
            break;
        case '\n':
            err = buf_append(b, "\\n", 2);
            break;
        case '\t':
            err = buf_append(b, "\\t", 2);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                err = buf_append(b, esc, sizeof esc);
            } else {
                err = buf_append(b, &c, 1);
            }
        }
    }
    return err;
}

/* Reads one line (without its newline) into b; returns 1 on a line, 0 at EOF, <0 on error. */
int read_line(FILE *fp, buffer_t *b)
{
    int c;
    b->len = 0;
    while ((c = fgetc(fp)) != EOF) {
        char ch = (char)c;
        if (ch == '\n')
            return 1;
        if (ch == '\r') {
            int next = fgetc(fp);
            if (next != '\n' && next != EOF)
                ungetc(next, fp);
            return 1;
        }
        if (buf_append(b, &ch, 1) < 0)
            return -ENOMEM;
    }
    if (ferror(fp))
        return -EIO;
    return b->len > 0 ? 1 : 0;
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 16777619u;
    }
    return h ? h : 1;
}

int map_init(map_t *m, size_t cap)
{
    size_t real = 8;
    while (real < cap)
        real <<= 1;
    m->slots = calloc(real, sizeof *m->slots);
    if (!m->slots)
        return -ENOMEM;
    m->cap = real;
    m->count = 0;
    return 0;
}

static map_slot_t *map_find_slot(map_slot_t *slots, size_t cap, const char *key, uint32_t hash)
{
    size_t i = hash & (cap - 1);
    for (;;) {
        map_slot_t *slot = &slots[i];
        if (slot->hash == 0 || (slot->hash == hash && strcmp(slot->key, key) == 0))
            return slot;
        i = (i + 1) & (cap - 1);
    }
}

static int map_grow(map_t *m)
{
    size_t cap = m->cap * 2;
    size_t i;
    map_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -ENOMEM;
    for (i = 0; i < m->cap; i++) {
        map_slot_t *old = &m->slots[i];
        if (old->hash)
            *map_find_slot(slots, cap, old->key, old->hash) = *old;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int map_put(map_t *m, const char *key, void *value)
{
    uint32_t hash = fnv1a(key);
    map_slot_t *slot;

    if ((m->count + 1) * MAP_LOAD_DEN > m->cap * MAP_LOAD_NUM) {
        int err = map_grow(m);
        if (err)
            return err;
    }
    slot = map_find_slot(m->slots, m->cap, key, hash);
    if (slot->hash == 0) {
        slot->key = strdup(key);
        if (!slot->key)
            return -ENOMEM;
        slot->hash = hash;
        m->count++;
    }
    slot->value = value;
    return 0;
}

void *map_get(const map_t *m, const char *key)
{
    map_slot_t *slot;
    if (m->count == 0)
        return NULL;
    slot = map_find_slot(m->slots, m->cap, key, fnv1a(key));
    return slot->hash ? slot->value : NULL;
}

void map_free(map_t *m, void (*free_value)(void *))
{
    size_t i;
    for (i = 0; i < m->cap; i++) {
        if (!m->slots[i].hash)
            continue;
        free(m->slots[i].key);
        if (free_value)
            free_value(m->slots[i].value);
    }
    free(m->slots);
    memset(m, 0, sizeof *m);
}

enum method { M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M_UNKNOWN };

struct request_line {
    enum method method;
    char path[1024];
    int major, minor;
};

static enum method parse_method(const char *s, size_t n)
{
    if (n == 3 && memcmp(s, "GET", 3) == 0)
        return M_GET;
    if (n == 4 && memcmp(s, "HEAD", 4) == 0)
        return M_HEAD;
    if (n == 4 && memcmp(s, "POST", 4) == 0)
        return M_POST;
    if (n == 3 && memcmp(s, "PUT", 3) == 0)
        return M_PUT;
    if (n == 6 && memcmp(s, "DELETE", 6) == 0)
        return M_DELETE;
    return M_UNKNOWN;
}

int parse_request_line(const char *line, struct request_line *out)
{
    const char *sp1 = strchr(line, ' ');
    const char *sp2;
    size_t path_len;

    if (!sp1)
        goto bad;
    out->method = parse_method(line, (size_t)(sp1 - line));
    if (out->method == M_UNKNOWN)
        goto bad;
    sp2 = strchr(sp1 + 1, ' ');
    if (!sp2 || sp2 == sp1 + 1)
        goto bad;
    path_len = (size_t)(sp2 - sp1 - 1);
    if (path_len >= sizeof out->path || sp1[1] != '/')
        goto bad;
    memcpy(out->path, sp1 + 1, path_len);
    out->path[path_len] = '\0';
    if (sscanf(sp2 + 1, "HTTP/%d.%d", &out->major, &out->minor) != 2)
        goto bad;
    if (out->major != 1 || (out->minor != 0 && out->minor != 1))
        goto bad;
    return 0;
bad:
    return -EINVAL;
}

size_t url_decode(char *s)
{
    char *in = s, *out = s;
    while (*in) {
        if (*in == '%' && isxdigit((unsigned char)in[1]) && isxdigit((unsigned char)in[2])) {
            char hex[3] = { in[1], in[2], 0 };
            *out++ = (char)strtol(hex, NULL, 16);
            in += 3;
        } else if (*in == '+') {
            *out++ = ' ';
            in++;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

int main(void)
{
    buffer_t line;
    struct request_line req;
    int rc;

    if (buf_init(&line, 0) != 0)
        return 1;
    while ((rc = read_line(stdin, &line)) > 0) {
        if (buf_append(&line, "", 1) < 0)
            break;
        if (parse_request_line(line.data, &req) == 0) {
            url_decode(req.path);
            printf("%d %s HTTP/%d.%d\n", req.method, req.path, req.major, req.minor);
        } else {
            fprintf(stderr, "bad request line: %s\n", line.data);
        }
    }
    buf_free(&line);
    return rc < 0 ? 1 : 0;
}
