// A small qnt program: calibration statistics on a float producer, a clip
// chosen from them, and a quantize/dequantize pair. scripts/quickstart.sh runs
//   qnt-opt --canonicalize              (the clips merge, the pair becomes
//                                        a qnt.fake_quant)
//   qnt-opt --qnt-strip-stats --qnt-export-quant
//                                       (upstream quant dialect casts)
func.func @block(%x: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %a = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 1024, min = -3.5, max = 7.25, mean = 0.4, std = 1.3, mad = 0.9>} : tensor<1x8x8x16xf32>
  %r6 = qnt.clip %a min [0.0] max [6.0] method pact : tensor<1x8x8x16xf32>
  %c = qnt.clip %r6 min [0.0] max [5.03] method aciq_laplace bits 4 : tensor<1x8x8x16xf32>
  %q = qnt.quantize %c uniform<ui4, scale = 0.33533> : tensor<1x8x8x16xf32> -> tensor<1x8x8x16xi8>
  %d = qnt.dequantize %q uniform<ui4, scale = 0.33533> : tensor<1x8x8x16xi8> -> tensor<1x8x8x16xf32>
  return %d : tensor<1x8x8x16xf32>
}
