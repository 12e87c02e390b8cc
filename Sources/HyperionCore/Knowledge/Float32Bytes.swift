import Foundation

extension Array where Element == Float {
    /// The floats as stored (embeddings in the store and in the shared query cache): 4 bytes each, machine order.
    public var float32Bytes: Data { withUnsafeBufferPointer { Data(buffer: $0) } }

    /// The floats of ``float32Bytes``; trailing bytes short of a whole float are ignored. Copied, so the bytes need no
    /// particular alignment.
    public init(float32Bytes data: Data) {
        let count = data.count / MemoryLayout<Float>.size
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            _ = data.copyBytes(to: buffer, from: data.startIndex..<(data.startIndex + count * MemoryLayout<Float>.size))
            initialized = count
        }
    }
}
