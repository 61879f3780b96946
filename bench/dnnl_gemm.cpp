// oneDNN GEMM timing for bench/gemm.py: C = A B with A [M, K] (u8 for
// int8: oneDNN's x86 int8 kernels take unsigned activations; f32) and B
// [K, N] (s8 / f32) prepacked once into oneDNN's preferred layout (as for
// constant weights), C s32 / f32, A and B uniformly random over their
// whole range. Prints one line per measurement: the median nanoseconds per
// call over `iters` timed calls after `warmup`, and a checksum of C; for
// int8 also how many of a sample of C's elements (every 7th row, every 5th
// column) differ from the exact integer product, and the sample's size.
//
//   dnnl_gemm int8|int8a7|f32 M N K warmup iters
//       int8a7: int8 with activations below 128 (7 bits)
//   dnnl_gemm dw_int8 N H W C K stride warmup iters
//       an int8 depthwise convolution (groups = C, K x K filter, no padding:
//       the input is already padded), u8 NHWC source, s8 weights in
//       oneDNN's preferred layout, s32 NHWC destination.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace dnnl;

/// Median nanoseconds per call of `prim` over `iters` calls after `warmup`.
static double medianNs(primitive &prim, stream &s,
                       std::unordered_map<int, memory> &args, int warmup,
                       int iters) {
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
  return ns[ns.size() / 2];
}

static int depthwise(int argc, char **argv) {
  if (argc != 10) {
    std::fprintf(stderr, "usage: %s dw_int8 N H W C K stride warmup iters\n",
                 argv[0]);
    return 2;
  }
  memory::dim N = std::atol(argv[2]), H = std::atol(argv[3]),
              W = std::atol(argv[4]), C = std::atol(argv[5]),
              K = std::atol(argv[6]), S = std::atol(argv[7]);
  int warmup = std::atoi(argv[8]), iters = std::atoi(argv[9]);
  memory::dim OH = (H - K) / S + 1, OW = (W - K) / S + 1;
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  using dt = memory::data_type;
  using tag = memory::format_tag;
  memory::desc src_md({N, C, H, W}, dt::u8, tag::nhwc);
  memory::desc wei_user_md({C, 1, 1, K, K}, dt::s8, tag::goihw);
  memory::desc wei_md({C, 1, 1, K, K}, dt::s8, tag::any);
  memory::desc dst_md({N, C, OH, OW}, dt::s32, tag::nhwc);
  convolution_forward::primitive_desc pd(
      convolution_forward::desc(prop_kind::forward_inference,
                                algorithm::convolution_direct, src_md, wei_md,
                                dst_md, {S, S}, {0, 0}, {0, 0}),
      eng);
  memory X(src_md, eng), Wuser(wei_user_md, eng), Wt(pd.weights_desc(), eng),
      Y(dst_md, eng);
  auto *x = static_cast<uint8_t *>(X.get_data_handle());
  auto *w = static_cast<int8_t *>(Wuser.get_data_handle());
  for (memory::dim i = 0; i < N * C * H * W; ++i) x[i] = uint8_t(i * 7 % 251);
  for (memory::dim i = 0; i < C * K * K; ++i) w[i] = int8_t(i * 13 % 255 - 127);
  reorder(Wuser, Wt).execute(s, Wuser, Wt);
  s.wait();
  convolution_forward prim(pd);
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, X}, {DNNL_ARG_WEIGHTS, Wt}, {DNNL_ARG_DST, Y}};
  double ns = medianNs(prim, s, args, warmup, iters);
  double sum = 0;
  auto *y = static_cast<int32_t *>(Y.get_data_handle());
  for (memory::dim i = 0; i < N * C * OH * OW; ++i) sum += y[i];
  std::printf("%.0f %.6g\n", ns, sum);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "dw_int8")
    return depthwise(argc, argv);
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s int8|int8a7|f32 M N K warmup iters\n", argv[0]);
    return 2;
  }
  std::string kind = argv[1];
  memory::dim M = std::atol(argv[2]), N = std::atol(argv[3]),
              K = std::atol(argv[4]);
  int warmup = std::atoi(argv[5]), iters = std::atoi(argv[6]);
  bool int8 = kind == "int8" || kind == "int8a7";
  // int8a7: activations in [0, 128), no i16 pair of products can saturate.
  uint32_t aRange = kind == "int8a7" ? 128 : 256;
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
  // Uniformly random data from a fixed seed (the values do not change the
  // speed, but they decide whether int8 i16 intermediates saturate).
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t(state >> 33);
  };
  if (int8) {
    auto *a = static_cast<uint8_t *>(A.get_data_handle());
    auto *b = static_cast<int8_t *>(Buser.get_data_handle());
    for (memory::dim i = 0; i < M * K; ++i) a[i] = uint8_t(next() % aRange);
    for (memory::dim i = 0; i < K * N; ++i) b[i] = int8_t(int(next() % 255) - 127);
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
  std::printf("%.0f %.6g", ns[ns.size() / 2], sum);
  if (int8) {
    auto *a = static_cast<uint8_t *>(A.get_data_handle());
    auto *b = static_cast<int8_t *>(Buser.get_data_handle());
    auto *c = static_cast<int32_t *>(C.get_data_handle());
    long wrong = 0, sampled = 0;
    for (memory::dim i = 0; i < M; i += 7)
      for (memory::dim j = 0; j < N; j += 5) {
        int64_t exact = 0;
        for (memory::dim k = 0; k < K; ++k)
          exact += int64_t(a[i * K + k]) * b[k * N + j];
        ++sampled;
        wrong += exact != c[i * N + j];
      }
    std::printf(" %ld %ld", wrong, sampled);
  }
  std::printf("\n");
  return 0;
}
