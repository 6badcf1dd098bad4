// For each 512 KiB chunk of stdin (rfs src/pack.rs BLOB_SIZE), one line:
// the block key, blake2b-256 of the plain chunk (src/store/bs.rs `hash`:
// blake2b_simd::Params::new().hash_length(32)), and the chunk compressed
// as BlockStore::set compresses it (snap::raw::Encoder::compress_vec), in hex.
use std::io::Read;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{:02x}", x)).collect()
}

fn main() {
    let mut data = Vec::new();
    std::io::stdin().read_to_end(&mut data).unwrap();
    for chunk in data.chunks(512 * 1024) {
        let key = blake2b_simd::Params::new().hash_length(32).hash(chunk);
        let compressed = snap::raw::Encoder::new().compress_vec(chunk).unwrap();
        println!("{} {}", key.to_hex(), hex(&compressed));
    }
}
