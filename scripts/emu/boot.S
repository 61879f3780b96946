/* Multiboot (v1, a.out kludge) entry: 32-bit protected mode -> long mode,
   SSE/AVX/AVX-512 state enabled, then qnt_emu_main(). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010003
        .section .multiboot, "a"
        .code32
        .align 4
mb_header:
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)
        .long mb_header          /* header_addr */
        .long __image_start      /* load_addr */
        .long __load_end         /* load_end_addr */
        .long __bss_end          /* bss_end_addr */
        .long _start32           /* entry_addr */

        .text
        .code32
        .globl _start32
_start32:
        cli
        movl $boot_stack_top, %esp
        /* zero .bss (the loader should, but be sure) */
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb
        /* identity map the first 4 GiB with 2 MiB pages: PML4[0] -> PDPT,
           PDPT[0..3] -> PD0..PD3 */
        movl $pdpt, %eax
        orl $3, %eax
        movl %eax, pml4
        movl $0, %ecx
1:      movl %ecx, %eax
        shll $12, %eax
        addl $pd, %eax
        orl $3, %eax
        movl %eax, pdpt(,%ecx,8)
        incl %ecx
        cmpl $4, %ecx
        jne 1b
        movl $0, %ecx
2:      movl %ecx, %eax
        shll $21, %eax
        orl $0x83, %eax
        movl %eax, pd(,%ecx,8)
        movl %ecx, %eax
        shrl $11, %eax
        movl %eax, pd+4(,%ecx,8)
        incl %ecx
        cmpl $2048, %ecx
        jne 2b
        movl $pml4, %eax
        movl %eax, %cr3
        /* CR4: PAE | OSFXSR | OSXMMEXCPT | OSXSAVE */
        movl %cr4, %eax
        orl $((1 << 5) | (1 << 9) | (1 << 10) | (1 << 18)), %eax
        movl %eax, %cr4
        /* EFER.LME */
        movl $0xC0000080, %ecx
        rdmsr
        orl $(1 << 8), %eax
        wrmsr
        /* CR0: PG | PE | MP, clear EM */
        movl %cr0, %eax
        andl $~(1 << 2), %eax
        orl $((1 << 31) | (1 << 0) | (1 << 1)), %eax
        movl %eax, %cr0
        lgdt gdt_desc
        ljmp $0x08, $_start64

        .code64
_start64:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw %ax, %fs
        movw %ax, %gs
        movq $boot_stack_top, %rsp
        /* IDT: the 32 exception vectors -> qnt_emu_exception(vector,
           frame), which reports them on the serial port */
        movq $idt, %rdi
        movq $exc_stubs, %rsi
        xorl %ecx, %ecx
4:      movq %rsi, %rax
        movw %ax, (%rdi)                 /* offset 15:0 */
        movw $0x08, 2(%rdi)              /* code selector */
        movw $0x8E00, 4(%rdi)            /* present, interrupt gate */
        shrq $16, %rax
        movw %ax, 6(%rdi)                /* offset 31:16 */
        shrq $16, %rax
        movl %eax, 8(%rdi)               /* offset 63:32 */
        movl $0, 12(%rdi)
        addq $16, %rdi
        addq $16, %rsi
        incl %ecx
        cmpl $32, %ecx
        jne 4b
        lidt idt_desc
        /* XCR0: x87 | SSE | AVX, and opmask | ZMM_Hi256 | Hi16_ZMM when
           CPUID.0DH:EAX reports them */
        movl $0x0D, %eax
        xorl %ecx, %ecx
        cpuid
        andl $0xE7, %eax
        movl %eax, %ebx
        xorl %ecx, %ecx
        movl %ebx, %eax
        xorl %edx, %edx
        xsetbv
        call qnt_emu_main
3:      cli
        hlt
        jmp 3b

/* One 16-byte stub per exception vector: a zero error code where the CPU
   pushes none, the vector, then the common path. */
        .align 16
exc_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .align 16
        .if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
        pushq $\v
        .else
        pushq $0
        pushq $\v
        .endif
        jmp exc_common
        .endr
exc_common:
        movq (%rsp), %rdi                /* vector */
        leaq 8(%rsp), %rsi               /* error code, rip, cs, rflags */
        andq $-16, %rsp
        call qnt_emu_exception
5:      cli
        hlt
        jmp 5b

        .section .rodata
        .align 16
gdt:
        .quad 0
        .quad 0x00AF9A000000FFFF   /* 64-bit code */
        .quad 0x00CF92000000FFFF   /* data */
gdt_desc:
        .word gdt_desc - gdt - 1
        .long gdt
idt_desc:
        .word 32 * 16 - 1
        .quad idt

        .section .bss
        .align 4096
pml4:   .skip 4096
pdpt:   .skip 4096
pd:     .skip 4096 * 4
        .align 16
idt:    .skip 32 * 16
        .align 16
boot_stack:
        .skip 1 << 20
boot_stack_top:
