// Raw DEFLATE (a ZIP entry's data) inflated with zlib, bounded by the entry's own bytes: ZIPFoundation's Linux
// reader ignores the compressed size and reads until zlib says the stream ended, so a stream that never ends made
// it spin forever at the end of the file (found by fuzzing).
#include "CKernels.h"
#include <stdlib.h>
#include <zlib.h>

uint32_t hyp_crc32(const uint8_t *bytes, size_t count) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (count > 0) {
        uInt piece = count > 0x40000000u ? 0x40000000u : (uInt)count;
        crc = crc32(crc, bytes, piece);
        bytes += piece;
        count -= piece;
    }
    return (uint32_t)crc;
}

int hyp_inflate_raw(const uint8_t *in, size_t in_len, size_t limit, size_t ratio_floor, size_t max_ratio,
                    uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (in_len > 0xFFFFFFFFu) return HYP_INFLATE_DAMAGED;
    z_stream stream = {0};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return HYP_INFLATE_DAMAGED;
    size_t capacity = in_len * 4 < 65536 ? 65536 : in_len * 4;
    if (capacity > limit) capacity = limit;
    uint8_t *buffer = malloc(capacity > 0 ? capacity : 1);
    if (!buffer) { inflateEnd(&stream); return HYP_INFLATE_DAMAGED; }
    stream.next_in = (Bytef *)in;
    stream.avail_in = (uInt)in_len;
    size_t produced = 0;
    int status = HYP_INFLATE_DAMAGED;
    for (;;) {
        if (produced == capacity) {
            if (capacity >= limit) { status = HYP_INFLATE_TOO_LARGE; break; }
            size_t grown = capacity * 2 > limit ? limit : capacity * 2;
            uint8_t *bigger = realloc(buffer, grown);
            if (!bigger) { status = HYP_INFLATE_DAMAGED; break; }
            buffer = bigger;
            capacity = grown;
        }
        size_t room = capacity - produced;
        stream.next_out = buffer + produced;
        stream.avail_out = room > 0x40000000u ? 0x40000000u : (uInt)room;
        uInt before = stream.avail_out;
        int result = inflate(&stream, Z_NO_FLUSH);
        produced += before - stream.avail_out;
        if (result == Z_STREAM_END) { status = HYP_INFLATE_OK; break; }
        if (produced > ratio_floor && in_len > 0 && produced / in_len > max_ratio) { status = HYP_INFLATE_RATIO; break; }
        if (result == Z_BUF_ERROR || result == Z_OK) {
            // No progress possible: the entry's bytes are used up before its stream ended.
            if (stream.avail_in == 0 && stream.avail_out != 0) { status = HYP_INFLATE_TRUNCATED; break; }
            continue;
        }
        status = HYP_INFLATE_DAMAGED;  // Z_DATA_ERROR, Z_NEED_DICT, Z_MEM_ERROR
        break;
    }
    inflateEnd(&stream);
    if (status != HYP_INFLATE_OK) { free(buffer); return status; }
    *out = buffer;
    *out_len = produced;
    return HYP_INFLATE_OK;
}
