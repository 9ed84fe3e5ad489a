// The --ws client's masked copy (ws::CopyMasked) alone: GB/s per call size,
// from a frame (1 KiB) to past the caches (16 MiB). Prints its figures; it
// gates nothing.
//
//   bazel run //bench:mask_bench
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "engine/websocket_frame.h"

int main() {
  constexpr size_t kBytesPerSize = size_t{4} << 30;
  for (const size_t size : {size_t{1} << 10, size_t{64} << 10, size_t{256} << 10,
                            size_t{16} << 20}) {
    std::vector<uint8_t> src(size, 0x5a);
    std::vector<uint8_t> dst(size);
    const size_t calls = kBytesPerSize / size;
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < calls; ++i) {
      tcpkali::engine::ws::CopyMasked(dst.data(), src.data(), size,
                                      0x9e3779b9u * static_cast<uint32_t>(i), 0);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("CopyMasked %9zu bytes per call: %5.1f GB/s\n", size,
                static_cast<double>(calls * size) / seconds / 1e9);
  }
  return 0;
}
