# Greedy decoding's gather (docs/isa.md, "Instructions"): the vector engine
# picks the largest of 256 logits, the scalar unit loads its column into a
# register after a barrier, and DMA copies that row of an FP32 embedding
# table (64 wide) into place.
#
# HBM: logits (1 x 256 fp32) at 0x0, the table (256 x 64 fp32) at 0x10000,
# the row lands at 0x20000.

    dma dst=sram:0 src=hbm:0 rows=1 row_bytes=1024 signal=s0
    vrargmax dst=sram:0x400:fp32 src=sram:0:fp32 rows=1 cols=256 wait=s0
    barrier id=0                       # the engines drain before ld reads
    ld dst=r1 src=sram:0x400:fp32      # the token id
    li dst=r2 imm=256                  # bytes per table row
    mul dst=r1 a=r1 b=r2
    dma dst=hbm:0x20000 src=hbm:r1+0x10000 rows=1 row_bytes=256
