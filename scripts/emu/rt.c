/* A freestanding runtime for scripts/emulate_vnni.py's image: output on the
   first serial port (Bochs writes it to a file), a bump allocator (nothing
   is freed: one image runs each program once), the C library and
   pthread functions compiled models and their wrappers call, and the constructors (the libraries' load-time CPU
   check) run before qnt_emu_cases(). */
#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) {
  __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

void qnt_emu_putc(char c) {
  while (!(inb(0x3FD) & 0x20)) {
  }
  outb(0x3F8, (uint8_t)c);
}
void qnt_emu_puts(const char *s) {
  while (*s)
    qnt_emu_putc(*s++);
}
void qnt_emu_putd(long v) {
  char b[24];
  int i = 0;
  unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
  if (v < 0)
    qnt_emu_putc('-');
  do {
    b[i++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  while (i)
    qnt_emu_putc(b[--i]);
}

void *memcpy(void *d, const void *s, size_t n) {
  char *dd = d;
  const char *ss = s;
  while (n--)
    *dd++ = *ss++;
  return d;
}
void *memmove(void *d, const void *s, size_t n) {
  char *dd = d;
  const char *ss = s;
  if (dd < ss) {
    while (n--)
      *dd++ = *ss++;
  } else {
    dd += n;
    ss += n;
    while (n--)
      *--dd = *--ss;
  }
  return d;
}
void *memset(void *d, int c, size_t n) {
  char *dd = d;
  while (n--)
    *dd++ = (char)c;
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; --n, ++x, ++y)
    if (*x != *y)
      return *x < *y ? -1 : 1;
  return 0;
}
size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n])
    ++n;
  return n;
}
char *strcat(char *d, const char *s) {
  char *p = d + strlen(d);
  while ((*p++ = *s++) != 0) {
  }
  return d;
}

extern char __heap_start[];
static uintptr_t heap;
void *aligned_alloc(size_t align, size_t n) {
  if (!heap)
    heap = (uintptr_t)__heap_start;
  if (align < 64)
    align = 64;
  heap = (heap + align - 1) & ~(uintptr_t)(align - 1);
  void *p = (void *)heap;
  heap += n;
  return p;
}
void *malloc(size_t n) { return aligned_alloc(64, n); }
void *calloc(size_t n, size_t size) { return memset(malloc(n * size), 0, n * size); }
void free(void *p) { (void)p; }

/* One thread: the wrappers' per-thread buffer cache keys (glibc's types:
   pthread_key_t is unsigned int, pthread_once_t int). */
static void *keys[64];
static unsigned nkeys;
int pthread_key_create(unsigned *key, void (*dtor)(void *)) {
  (void)dtor;
  if (nkeys == 64)
    return 11; /* EAGAIN */
  *key = nkeys++;
  return 0;
}
int pthread_key_delete(unsigned key) {
  (void)key;
  return 0;
}
void *pthread_getspecific(unsigned key) { return key < 64 ? keys[key] : 0; }
int pthread_setspecific(unsigned key, const void *v) {
  if (key >= 64)
    return 22; /* EINVAL */
  keys[key] = (void *)v;
  return 0;
}
int pthread_once(int *once, void (*fn)(void)) {
  if (!*once) {
    *once = 1;
    fn();
  }
  return 0;
}
void abort(void) {
  qnt_emu_puts("QNT-EMU abort\n");
  for (;;)
    __asm__ volatile("cli; hlt");
}

static void puthex(uint64_t v) {
  qnt_emu_puts("0x");
  for (int i = 60; i >= 0; i -= 4)
    qnt_emu_putc("0123456789abcdef"[(v >> i) & 15]);
}

/* A CPU exception (boot.S's handlers): its vector, error code and the
   faulting instruction's address, then stop. */
void qnt_emu_exception(uint64_t vector, const uint64_t *frame) {
  qnt_emu_puts("QNT-EMU exception ");
  qnt_emu_putd((long)vector);
  qnt_emu_puts(" error ");
  puthex(frame[0]);
  qnt_emu_puts(" rip ");
  puthex(frame[1]);
  qnt_emu_puts("\n");
}

typedef void (*qnt_ctor)(void);
extern qnt_ctor __init_array_start[], __init_array_end[];
void qnt_emu_cases(void);

void qnt_emu_main(void) {
  outb(0x3FB, 0x03); /* 8 data bits, no parity, 1 stop bit */
  qnt_emu_puts("QNT-EMU start\n");
  for (qnt_ctor *c = __init_array_start; c != __init_array_end; ++c)
    (*c)();
  qnt_emu_cases();
  qnt_emu_puts("QNT-EMU DONE\n");
}
