# C = A . B^T for one 128 x 128 output tile on each of two cores, A and B of
# K = 512 in BF16, accumulated in FP32 over four K slices of 128; then C in
# BF16 back to HBM. The layout and the instructions are in docs/isa.md.
#
# HBM: A (256 x 512 bf16, 1 KiB rows) at 0x0, B (128 x 512) at 0x40000,
#      C (256 x 128 bf16) at 0x80000.
# SRAM: A slice (128 x 128) at 0x0, B slice at 0x8000, C in FP32 at 0x10000,
#       C in BF16 at 0x20000.
.core 0
    li      dst=r0 imm=0             # K slice
    li      dst=r1 imm=4             # slices
    li      dst=r2 imm=0             # byte offset of the slice in a row of A and B
    dma     dst=sram:0x0 src=hbm:r2 rows=128 row_bytes=256 src_stride=1024 signal=s0
    dma     dst=sram:0x8000 src=hbm:r2+0x40000 rows=128 row_bytes=256 src_stride=1024 queue=1 signal=s0
    matmul  dst=sram:0x10000:fp32 a=sram:0x0:bf16 b=sram:0x8000:bf16 m=128 n=128 k=128 wait=s0:2 signal=s1
    addi    dst=r0 src=r0 imm=1
    addi    dst=r2 src=r2 imm=256
next:
    # The tensor engine must be done with both slices before DMA overwrites
    # them: the first load waits for it, and the second queues behind it.
    dma     dst=sram:0x0 src=hbm:r2 rows=128 row_bytes=256 src_stride=1024 wait=s1 signal=s0
    dma     dst=sram:0x8000 src=hbm:r2+0x40000 rows=128 row_bytes=256 src_stride=1024 signal=s0
    matmul  dst=sram:0x10000:fp32 a=sram:0x0:bf16 b=sram:0x8000:bf16 m=128 n=128 k=128 accumulate=1 wait=s0:2 signal=s1
    addi    dst=r0 src=r0 imm=1
    addi    dst=r1 src=r2 imm=256
    blt     a=r0 b=r1 target=next
    vcast   dst=sram:0x20000:bf16 src=sram:0x10000:fp32 rows=128 cols=128 wait=s1 signal=s2
    dma     dst=hbm:0x80000 src=sram:0x20000 rows=128 row_bytes=256 wait=s2
    barrier id=0
    halt

# Core 1: the second 128 rows of A, the same B.
.core 1
    li      dst=r0 imm=0
    li      dst=r1 imm=4
    li      dst=r2 imm=0
    dma     dst=sram:0x0 src=hbm:r2+0x20000 rows=128 row_bytes=256 src_stride=1024 signal=s0
    dma     dst=sram:0x8000 src=hbm:r2+0x40000 rows=128 row_bytes=256 src_stride=1024 queue=1 signal=s0
    matmul  dst=sram:0x10000:fp32 a=sram:0x0:bf16 b=sram:0x8000:bf16 m=128 n=128 k=128 wait=s0:2 signal=s1
    addi    dst=r0 src=r0 imm=1
    addi    dst=r2 src=r2 imm=256
next:
    dma     dst=sram:0x0 src=hbm:r2+0x20000 rows=128 row_bytes=256 src_stride=1024 wait=s1 signal=s0
    dma     dst=sram:0x8000 src=hbm:r2+0x40000 rows=128 row_bytes=256 src_stride=1024 signal=s0
    matmul  dst=sram:0x10000:fp32 a=sram:0x0:bf16 b=sram:0x8000:bf16 m=128 n=128 k=128 accumulate=1 wait=s0:2 signal=s1
    addi    dst=r0 src=r0 imm=1
    addi    dst=r2 src=r2 imm=256
    blt     a=r0 b=r1 target=next
    vcast   dst=sram:0x20000:bf16 src=sram:0x10000:fp32 rows=128 cols=128 wait=s1 signal=s2
    dma     dst=hbm:0x88000 src=sram:0x20000 rows=128 row_bytes=256 wait=s2
    barrier id=0
    halt
