/* deflate_rle.h — a fast DEFLATE (RFC 1951) encoder for PNG-filtered image rows, in the spirit
 * of zlib's Z_RLE strategy: a byte repeating the one before it starts a distance-1 match, every
 * other byte is a literal, and each call becomes one dynamic-Huffman block (or stored blocks when
 * those are smaller). Pieces encoded separately join into one valid stream, as pigz joins zlib's:
 * a piece that is not the last ends with an empty stored block, so it ends on a byte boundary. */
#ifndef YSG_DEFLATE_RLE_H
#define YSG_DEFLATE_RLE_H

#include <stddef.h>
#include <stdint.h>

/* Output bytes ysg__deflate_rle can write for n input bytes (stored blocks are the worst case:
 * the Huffman block is used only when it is smaller). */
size_t ysg__deflate_rle_bound(size_t n);

/* Encode in[0..n) as DEFLATE blocks written to out, which starts a byte. prev: the stream's byte
 * before in[0] (a run may continue it; the decoder has it from the piece before), or -1 at the
 * start of the stream. last: set BFINAL (the stream ends here); otherwise an empty stored block
 * follows. stored_only: no Huffman coding (PNG compression level 0). tokens: scratch of n
 * entries. Returns the bytes written (at most ysg__deflate_rle_bound(n)). */
size_t ysg__deflate_rle(const uint8_t *in, size_t n, int prev, int last, int stored_only,
                        uint16_t *tokens, uint8_t *out);

#endif /* YSG_DEFLATE_RLE_H */
