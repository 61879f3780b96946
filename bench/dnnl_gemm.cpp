// oneDNN GEMM timing for bench/gemm.py: C = A B with A [M, K] (u8 for
// int8: oneDNN's x86 int8 kernels take unsigned activations; f32) and B
// [K, N] (s8 / f32) prepacked once into oneDNN's preferred layout (as for
// constant weights), C s32 / f32. Prints one line per measurement: the
// median nanoseconds per call over `iters` timed calls after `warmup`, and a
// checksum of C.
//
//   dnnl_gemm int8|f32 M N K warmup iters
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace dnnl;

int main(int argc, char **argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s int8|f32 M N K warmup iters\n", argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  memory::dim M = std::atol(argv[2]), N = std::atol(argv[3]),
              K = std::atol(argv[4]);
  int warmup = std::atoi(argv[5]), iters = std::atoi(argv[6]);
  bool int8 = kind == "int8";
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  auto src_t = int8 ? memory::data_type::u8 : memory::data_type::f32;
  auto wei_t = int8 ? memory::data_type::s8 : memory::data_type::f32;
  auto dst_t = int8 ? memory::data_type::s32 : memory::data_type::f32;
  memory::desc a_md({M, K}, src_t, memory::format_tag::ab);
  memory::desc b_user_md({K, N}, wei_t, memory::format_tag::ab);
  memory::desc b_md({K, N}, wei_t, memory::format_tag::any);
  memory::desc c_md({M, N}, dst_t, memory::format_tag::ab);
  matmul::primitive_desc pd(matmul::desc(a_md, b_md, c_md), eng);
  memory A(a_md, eng), Buser(b_user_md, eng), B(pd.weights_desc(), eng),
      C(c_md, eng);
  // Deterministic data (the values do not change the speed).
  if (int8) {
    auto *a = static_cast<uint8_t *>(A.get_data_handle());
    auto *b = static_cast<int8_t *>(Buser.get_data_handle());
    for (memory::dim i = 0; i < M * K; ++i) a[i] = uint8_t(i * 7 % 251);
    for (memory::dim i = 0; i < K * N; ++i) b[i] = int8_t(i * 13 % 255 - 127);
  } else {
    auto *a = static_cast<float *>(A.get_data_handle());
    auto *b = static_cast<float *>(Buser.get_data_handle());
    for (memory::dim i = 0; i < M * K; ++i) a[i] = float(i * 7 % 251) / 251;
    for (memory::dim i = 0; i < K * N; ++i) b[i] = float(i * 13 % 255) / 255 - 0.5f;
  }
  reorder(Buser, B).execute(s, Buser, B);
  s.wait();
  matmul prim(pd);
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, A}, {DNNL_ARG_WEIGHTS, B}, {DNNL_ARG_DST, C}};
  for (int i = 0; i < warmup; ++i)
    prim.execute(s, args);
  s.wait();
  std::vector<double> ns;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    prim.execute(s, args);
    s.wait();
    auto t1 = std::chrono::steady_clock::now();
    ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  std::sort(ns.begin(), ns.end());
  double sum = 0;
  if (int8) {
    auto *c = static_cast<int32_t *>(C.get_data_handle());
    for (memory::dim i = 0; i < M * N; ++i) sum += c[i];
  } else {
    auto *c = static_cast<float *>(C.get_data_handle());
    for (memory::dim i = 0; i < M * N; ++i) sum += c[i];
  }
  std::printf("%.0f %.6g\n", ns[ns.size() / 2], sum);
  return 0;
}
