internal import CZlib

/// gzip with zlib, for request bodies (the hub decompresses them) and in tests.
public enum Gzip {
    /// Compresses bytes into a gzip member.
    ///
    /// zlib's fastest level: on sync pages of Chinese text it is four times as fast as the default level
    /// for about a tenth more bytes, and a page is compressed while a replica waits for it.
    public static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard kb_deflate_init_gzip(&stream, Z_BEST_SPEED) == Z_OK else { throw error("deflateInit2") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
        var input = bytes
        let status = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw error("deflate") }
        return Array(output.prefix(Int(stream.total_out)))
    }

    /// Decompresses a gzip member, refusing output larger than `limit` bytes.
    public static func decompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard kb_inflate_init_gzip(&stream) == Z_OK else { throw error("inflateInit2") }
        defer { inflateEnd(&stream) }
        var input = bytes
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status = Z_OK
        try input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            while status != Z_STREAM_END {
                let produced = chunk.withUnsafeMutableBufferPointer { chunkBuffer -> Int in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = uInt(chunkBuffer.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return chunkBuffer.count - Int(stream.avail_out)
                }
                guard status == Z_OK || status == Z_STREAM_END else { throw error("inflate") }
                output += chunk.prefix(produced)
                if output.count > limit { throw error("size limit") }
                if produced == 0 && stream.avail_in == 0 && status != Z_STREAM_END { throw error("truncated") }
            }
        }
        return output
    }

    static func error(_ step: String) -> SyncError {
        SyncError(.protocolMismatch, "gzip failed (\(step)).")
    }
}
