#include <iostream>

#include "engine/features.h"

int main() {
  auto f = tcpkali::engine::ProbeKernelFeatures();
  if (!f.ok()) {
    std::cerr << "tcpkali: " << f.status().message() << "\n";
    return 1;
  }
  std::cout << tcpkali::engine::DescribeFeatures(*f);
  return 0;
}
