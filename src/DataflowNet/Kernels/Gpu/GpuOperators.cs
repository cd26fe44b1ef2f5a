using ILGPU;
using ILGPU.Runtime.Cuda;

namespace DataflowNet.Kernels.Gpu;

// The GPU's elementwise operators: each a struct the generic kernels are specialized on (an operator with an
// attribute, as LeakyRelu's alpha, carries it as a field and travels to the kernel by value). exp, log, pow and the
// float remainder come from GpuMath, not MathF: ILGPU maps those to approximate PTX instructions. Bools are bytes 0/1.

/// <summary>An elementwise map from <typeparamref name="TIn"/> to <typeparamref name="TOut"/>.</summary>
internal interface IUnaryOp<TIn, TOut> where TIn : unmanaged where TOut : unmanaged { TOut Apply(TIn x); }
/// <summary>A binary elementwise operator: comparisons give bytes (bools) from floats, logical ops bytes from bytes.</summary>
internal interface IBinaryOp<TIn, TOut> where TIn : unmanaged where TOut : unmanaged { TOut Apply(TIn a, TIn b); }
/// <summary>A float32 unary operator.</summary>
internal interface IUnaryOp : IUnaryOp<float, float> { }
/// <summary>A float32 binary operator.</summary>
internal interface IBinaryOp : IBinaryOp<float, float> { }

internal struct CopyOp : IUnaryOp { public readonly float Apply(float x) => x; }
internal struct NegOp : IUnaryOp { public readonly float Apply(float x) => -x; }
internal struct AbsOp : IUnaryOp { public readonly float Apply(float x) => MathF.Abs(x); }
internal struct SquareOp : IUnaryOp { public readonly float Apply(float x) => x * x; }
internal struct SqrtOp : IUnaryOp { public readonly float Apply(float x) => MathF.Sqrt(x); }
internal struct RsqrtOp : IUnaryOp { public readonly float Apply(float x) => 1f / MathF.Sqrt(x); }
internal struct ExpOp : IUnaryOp { public readonly float Apply(float x) => GpuMath.Exp(x); }
internal struct LogOp : IUnaryOp { public readonly float Apply(float x) => GpuMath.Log(x); }
internal struct Log1pOp : IUnaryOp { public readonly float Apply(float x) => GpuMath.Log1p(x); }
internal struct SinOp : IUnaryOp { public readonly float Apply(float x) => GpuMath.SinCos(x, 1); }
internal struct CosOp : IUnaryOp { public readonly float Apply(float x) => GpuMath.SinCos(x, 0); }
internal struct FloorOp : IUnaryOp { public readonly float Apply(float x) => MathF.Floor(x); }
internal struct TanhOp : IUnaryOp { public readonly float Apply(float x) => GpuMath.Tanh(x); }
/// <summary>max(x, 0), NaN propagating as the CPU's TensorPrimitives.Max.</summary>
internal struct ReluOp : IUnaryOp { public readonly float Apply(float x) => float.IsNaN(x) || x > 0 ? x : 0f; }
internal struct ReciprocalOp : IUnaryOp { public readonly float Apply(float x) => 1f / x; }
/// <summary>−1, 0 or 1; NaN stays NaN (as the CPU).</summary>
internal struct SignOp : IUnaryOp { public readonly float Apply(float x) => x > 0 ? 1f : x < 0 ? -1f : 0f; } // NaN: 0, as the CPU's
/// <summary>min(max(x, 0), 6), NaN propagating as the CPU's TensorPrimitives.Max/Min.</summary>
internal struct Relu6Op : IUnaryOp { public readonly float Apply(float x) => float.IsNaN(x) ? x : x > 6f ? 6f : x > 0 ? x : 0f; }
/// <summary>e^x − 1 below zero, x above.</summary>
internal struct EluOp : IUnaryOp { public readonly float Apply(float x) => x < 0 ? GpuMath.Expm1(x) : x; }
/// <summary>log(1 + e^x) = max(x, 0) + log1p(e^−|x|): no overflow for large |x| (as the CPU).</summary>
internal struct SoftplusOp : IUnaryOp { public readonly float Apply(float x) => (x > 0 ? x : 0f) + GpuMath.Log1p(GpuMath.Exp(-MathF.Abs(x))); }
/// <summary>x, or alpha·x below zero.</summary>
internal struct LeakyReluOp : IUnaryOp
{
    public float Alpha;
    public readonly float Apply(float x) => x < 0 ? Alpha * x : x;
}

/// <summary>1 / (1 + e^-x), written so neither branch overflows.</summary>
internal struct SigmoidOp : IUnaryOp
{
    public readonly float Apply(float x)
    {
        if (x >= 0) return 1f / (1f + GpuMath.Exp(-x));
        var e = GpuMath.Exp(x);
        return e / (1f + e);
    }
}

// Rounded once each (GpuMath.AddRn): in a fused chain, x*w+b gives the CPU's bits rather than a fused multiply-add's.
internal struct AddOp : IBinaryOp { public readonly float Apply(float a, float b) => GpuMath.AddRn(a, b); }
internal struct SubOp : IBinaryOp { public readonly float Apply(float a, float b) => GpuMath.SubRn(a, b); }
internal struct MulOp : IBinaryOp { public readonly float Apply(float a, float b) => GpuMath.MulRn(a, b); }
internal struct DivOp : IBinaryOp { public readonly float Apply(float a, float b) => a / b; }
/// <summary>The larger, NaN propagating and +0 over −0, as the CPU's TensorPrimitives.Max.</summary>
internal struct MaxOp : IBinaryOp { public readonly float Apply(float a, float b) => float.IsNaN(a) || a > b || a == b && !float.IsNegative(a) ? a : b; }
/// <summary>The smaller, NaN propagating and −0 under +0, as the CPU's TensorPrimitives.Min.</summary>
internal struct MinOp : IBinaryOp { public readonly float Apply(float a, float b) => float.IsNaN(a) || a < b || a == b && float.IsNegative(a) ? a : b; }
internal struct SquaredDifferenceOp : IBinaryOp { public readonly float Apply(float a, float b) => (a - b) * (a - b); }
/// <summary>floor(a / b), as the CPU's float FloorDiv.</summary>
internal struct FloorDivOp : IBinaryOp { public readonly float Apply(float a, float b) => MathF.Floor(a / b); }
/// <summary>The remainder of floor division: fmod, moved into the divisor's sign when the signs differ (TensorFlow's FloorMod).</summary>
internal struct FloorModOp : IBinaryOp
{
    public readonly float Apply(float a, float b)
    {
        float r = GpuMath.Remainder(a, b);
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }
}
internal struct PowOp : IBinaryOp { public readonly float Apply(float a, float b) => GpuMath.Pow(a, b); }

// Gradient ops: (y, dy) for Sigmoid/Tanh/Sqrt/Rsqrt/Reciprocal, (dy, features or outputs) for the ReLU family, as the CPU.
/// <summary>TensorFlow's ReluGrad(gradients, features): the gradient where the feature is positive.</summary>
internal struct ReluGradOp : IBinaryOp { public readonly float Apply(float g, float x) => x > 0 ? g : 0f; }
/// <summary>SigmoidGrad(y, dy) = dy · y · (1 − y).</summary>
internal struct SigmoidGradOp : IBinaryOp { public readonly float Apply(float y, float dy) => dy * y * (1f - y); }
/// <summary>TanhGrad(y, dy) = dy · (1 − y²).</summary>
internal struct TanhGradOp : IBinaryOp { public readonly float Apply(float y, float dy) => dy * (1f - y * y); }
/// <summary>SqrtGrad(y, dy) = dy / 2y.</summary>
internal struct SqrtGradOp : IBinaryOp { public readonly float Apply(float y, float dy) => dy / (y + y); }
/// <summary>RsqrtGrad(y, dy) = −dy · y³ / 2.</summary>
internal struct RsqrtGradOp : IBinaryOp { public readonly float Apply(float y, float dy) => -dy * y * y * y / 2f; }
/// <summary>ReciprocalGrad(y, dy) = −dy · y².</summary>
internal struct ReciprocalGradOp : IBinaryOp { public readonly float Apply(float y, float dy) => -dy * y * y; }
/// <summary>Relu6Grad(dy, features): dy where 0 &lt; x &lt; 6.</summary>
internal struct Relu6GradOp : IBinaryOp { public readonly float Apply(float dy, float x) => x > 0 && x < 6f ? dy : 0f; }
/// <summary>EluGrad(dy, outputs): dy · (y + 1) below zero, dy above.</summary>
internal struct EluGradOp : IBinaryOp { public readonly float Apply(float dy, float y) => y < 0 ? dy * (y + 1f) : dy; }
/// <summary>SoftplusGrad(dy, features) = dy · sigmoid(x).</summary>
internal struct SoftplusGradOp : IBinaryOp { public readonly float Apply(float dy, float x) => dy / (1f + GpuMath.Exp(-x)); }
/// <summary>LeakyReluGrad(dy, features): dy above zero, alpha · dy elsewhere.</summary>
internal struct LeakyReluGradOp : IBinaryOp
{
    public float Alpha;
    public readonly float Apply(float dy, float x) => x > 0 ? dy : Alpha * dy;
}

// Comparisons of floats, giving bools (bytes 0/1); NaN compares unequal to everything, as on the CPU.
internal struct LessOp : IBinaryOp<float, byte> { public readonly byte Apply(float a, float b) => a < b ? (byte)1 : (byte)0; }
internal struct LessEqualOp : IBinaryOp<float, byte> { public readonly byte Apply(float a, float b) => a <= b ? (byte)1 : (byte)0; }
internal struct GreaterOp : IBinaryOp<float, byte> { public readonly byte Apply(float a, float b) => a > b ? (byte)1 : (byte)0; }
internal struct GreaterEqualOp : IBinaryOp<float, byte> { public readonly byte Apply(float a, float b) => a >= b ? (byte)1 : (byte)0; }
internal struct EqualOp : IBinaryOp<float, byte> { public readonly byte Apply(float a, float b) => a == b ? (byte)1 : (byte)0; }
internal struct NotEqualOp : IBinaryOp<float, byte> { public readonly byte Apply(float a, float b) => a != b ? (byte)1 : (byte)0; }

// Logical ops on bools; any non-zero byte counts as true.
internal struct LogicalAndOp : IBinaryOp<byte, byte> { public readonly byte Apply(byte a, byte b) => a != 0 && b != 0 ? (byte)1 : (byte)0; }
internal struct LogicalOrOp : IBinaryOp<byte, byte> { public readonly byte Apply(byte a, byte b) => a != 0 || b != 0 ? (byte)1 : (byte)0; }
internal struct LogicalNotOp : IUnaryOp<byte, byte> { public readonly byte Apply(byte x) => x == 0 ? (byte)1 : (byte)0; }

/// <summary>
/// Functions whose CUDA lowering is approximate, written here from exact operations (in double where it takes that)
/// so the GPU agrees with the CPU to float precision: ILGPU maps MathF.Tanh, Sin and Cos to PTX's tanh.approx,
/// sin.approx and cos.approx (about 2⁻¹¹ relative error), and with ILGPU.Algorithms enabled its exp, log and pow go
/// through ex2.approx/lg2.approx (exp off by tens of ulps for large arguments, log with an absolute error near 1) and
/// the float remainder through a reciprocal (off by up to the divisor for large quotients), whether or not libdevice
/// is available. The CPU accelerator runs these same functions, so the tests check them.
/// </summary>
internal static class GpuMath
{
    // PTX's add, sub and mul without a rounding modifier may be contracted by the assembler into one fused
    // multiply-add (rounded once), which the CPU device never does; an explicit .rn keeps each one rounded as written.
    // ILGPU 1.5.3 emits them without one, so these say it in PTX; elsewhere (ILGPU's CPU accelerator) plain C#.

    public static float AddRn(float a, float b)
    {
        if (!CudaAsm.IsSupported) return a + b;
        CudaAsm.Emit("add.rn.f32 %0, %1, %2;", out float r, a, b);
        return r;
    }

    public static float SubRn(float a, float b)
    {
        if (!CudaAsm.IsSupported) return a - b;
        CudaAsm.Emit("sub.rn.f32 %0, %1, %2;", out float r, a, b);
        return r;
    }

    public static float MulRn(float a, float b)
    {
        if (!CudaAsm.IsSupported) return a * b;
        CudaAsm.Emit("mul.rn.f32 %0, %1, %2;", out float r, a, b);
        return r;
    }

    /// <summary>tanh x = −expm1(−2|x|) / (2 + expm1(−2|x|)), signed: no cancellation near 0, ±1 beyond |x| = 10.</summary>
    public static float Tanh(float x)
    {
        float ax = MathF.Abs(x);
        if (float.IsNaN(x)) return x;
        if (ax > 10f) return x < 0 ? -1f : 1f;
        float e = Expm1(-2f * ax), t = -e / (2f + e);
        return x < 0 ? -t : t;
    }

    /// <summary>sin θ (<paramref name="sin"/> 1) or cos θ of a float θ, in double: θ − k·π/2 (two-part π/2, as fdlibm) to [−π/4, π/4], then Taylor series; accurate for |θ| up to about 10⁵, beyond which the reduction loses bits (CUDA's sin.approx does far worse).</summary>
    public static float SinCos(float theta, int sin)
    {
        if (float.IsNaN(theta) || float.IsInfinity(theta)) return float.NaN;
        const double PiO2Hi = 1.57079632673412561417e+00, PiO2Lo = 6.07710050650619224932e-11, TwoOverPi = 0.63661977236758134308;
        double t = theta;
        long k = (long)Math.Floor(t * TwoOverPi + 0.5);
        double r = t - k * PiO2Hi - k * PiO2Lo, r2 = r * r;
        // sin r = r·Σ (−r²)ᵏ/(2k+1)!, cos r = Σ (−r²)ᵏ/(2k)!, k ≤ 10: |r| ≤ π/4 leaves less than 10⁻²⁰.
        double sp = -1.0 / 51090942171709440000.0;                // −1/21!
        sp = sp * r2 + 1.0 / 121645100408832000.0;                 // 1/19!
        sp = sp * r2 - 1.0 / 355687428096000.0;                    // 1/17!
        sp = sp * r2 + 1.0 / 1307674368000.0;                      // 1/15!
        sp = sp * r2 - 1.0 / 6227020800.0;                         // 1/13!
        sp = sp * r2 + 1.0 / 39916800.0;                           // 1/11!
        sp = sp * r2 - 1.0 / 362880.0;                             // 1/9!
        sp = sp * r2 + 1.0 / 5040.0;                               // 1/7!
        sp = sp * r2 - 1.0 / 120.0;
        sp = sp * r2 + 1.0 / 6.0;
        double sinR = r - r * r2 * sp;
        double cp = 1.0 / 2432902008176640000.0;                   // 1/20!
        cp = cp * r2 - 1.0 / 6402373705728000.0;                   // 1/18!
        cp = cp * r2 + 1.0 / 20922789888000.0;                     // 1/16!
        cp = cp * r2 - 1.0 / 87178291200.0;                        // 1/14!
        cp = cp * r2 + 1.0 / 479001600.0;                          // 1/12!
        cp = cp * r2 - 1.0 / 3628800.0;                            // 1/10!
        cp = cp * r2 + 1.0 / 40320.0;                              // 1/8!
        cp = cp * r2 - 1.0 / 720.0;
        cp = cp * r2 + 1.0 / 24.0;
        cp = cp * r2 - 1.0 / 2.0;
        double cosR = 1.0 + r2 * cp;
        // θ = kπ/2 + r: rotate by the quadrant.
        double v = (k & 3) switch
        {
            0 => sin != 0 ? sinR : cosR,
            1 => sin != 0 ? cosR : -sinR,
            2 => sin != 0 ? -sinR : -cosR,
            _ => sin != 0 ? -cosR : sinR,
        };
        return (float)v;
    }


    /// <summary>log(1 + x) = 2·atanh(s), s = x / (2 + x), in double: |s| ≤ 1/3 for |x| &lt; 1/2, no cancellation near 0.</summary>
    public static float Log1p(float x)
    {
        if (!(MathF.Abs(x) < 0.5f)) return Log(1f + x); // also NaN, ±∞ and x ≤ −1 (−∞, NaN) as log does
        double s = x / (2.0 + x);
        return (float)(2 * s * AtanhSeries(s * s));
    }

    /// <summary>atanh(s)/s = Σ s²ᵏ/(2k+1) for k ≤ 12, Horner in double: below 10⁻¹⁴ relative for |s| ≤ 1/3.</summary>
    private static double AtanhSeries(double s2)
    {
        double p = 1.0 / 25;
        p = p * s2 + 1.0 / 23; p = p * s2 + 1.0 / 21; p = p * s2 + 1.0 / 19; p = p * s2 + 1.0 / 17;
        p = p * s2 + 1.0 / 15; p = p * s2 + 1.0 / 13; p = p * s2 + 1.0 / 11; p = p * s2 + 1.0 / 9;
        p = p * s2 + 1.0 / 7; p = p * s2 + 1.0 / 5; p = p * s2 + 1.0 / 3; p = p * s2 + 1.0;
        return p;
    }

    /// <summary>e^x − 1: its Taylor series in double for |x| &lt; 1/2 (no cancellation near 0), e^x − 1 elsewhere.</summary>
    public static float Expm1(float x) => MathF.Abs(x) < 0.5f ? (float)ExpSeriesMinusOne(x) : Exp(x) - 1f;

    /// <summary>Σ rⁿ/n! for n = 1…14, Horner in double: e^r − 1 to below 10⁻¹⁷ relative for |r| ≤ 1/2.</summary>
    private static double ExpSeriesMinusOne(double r)
    {
        double p = 1.0 / 87178291200.0;                           // 1/14!
        p = p * r + 1.0 / 6227020800.0;                            // 1/13!
        p = p * r + 1.0 / 479001600.0;
        p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        p = p * r + 1.0;
        return p * r;
    }

    private const double Ln2 = 0.69314718055994530942;

    /// <summary>
    /// e^x in double, rounded once to float: x = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor series to r¹⁴/14!
    /// (below 10⁻¹⁷ relative), scaled by 2^k through the exponent bits.
    /// </summary>
    public static float Exp(float x) => (float)ExpDouble(x);

    /// <summary>e^x for x in float's range of results, in double (0 below e^−746, +∞ above e^710; NaN stays NaN).</summary>
    private static double ExpDouble(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x > 709.0) return double.PositiveInfinity;
        if (x < -745.0) return 0.0;
        double k = Math.Floor(x / Ln2 + 0.5), r = x - k * 0.69314718036912381649 - k * 1.9082149292705877e-10; // ln 2 in two parts
        double p = 1.0 + ExpSeriesMinusOne(r);
        // 2^k as a double: k in [−1075, 1023]; below −1022 in two steps, the second a subnormal-range scale.
        int ki = (int)k;
        if (ki < -1000) { p *= Interop.IntAsFloat((ulong)(1023 - 1000) << 52); ki += 1000; }
        return p * Interop.IntAsFloat((ulong)(ki + 1023) << 52);
    }

    /// <summary>log x in double, rounded once to float: x = m·2ᵉ with m in [√½, √2), log m = 2·atanh((m − 1)/(m + 1)).</summary>
    public static float Log(float x) => (float)LogDouble(x);

    /// <summary>log x of a float-valued x, in double (subnormals included; −∞ at 0, NaN below, +∞ at +∞).</summary>
    private static double LogDouble(float x)
    {
        if (float.IsNaN(x) || x < 0) return double.NaN;
        if (x == 0) return double.NegativeInfinity;
        if (float.IsPositiveInfinity(x)) return double.PositiveInfinity;
        int shift = 0;
        if (x < 1.17549435e-38f) { x *= 8388608f; shift = 23; }   // subnormal: scaled by 2²³ into the normal range
        uint bits = Interop.FloatAsInt(x);
        int e = (int)((bits >> 23) & 0xFF) - 127 - shift;
        double m = Interop.IntAsFloat((bits & 0x7FFFFFu) | 0x3F800000u);
        if (m > 1.4142135623730951) { m *= 0.5; e++; }
        double s = (m - 1) / (m + 1);   // |s| ≤ 0.172: the series' next term is below 10⁻¹⁹ of the sum
        return e * Ln2 + 2 * s * AtanhSeries(s * s);
    }

    /// <summary>a^b with C's pow rules for zeros, infinities, NaN and negative bases (MathF.Pow's), |a|^b as e^(b·log|a|) in double.</summary>
    public static float Pow(float a, float b)
    {
        if (b == 0 || a == 1) return 1f;
        if (float.IsNaN(a) || float.IsNaN(b)) return float.NaN;
        bool integer = MathF.Floor(b) == b, odd = integer && MathF.Abs(b) < 16777216f && ((long)b & 1) != 0;
        if (float.IsInfinity(b))
        {
            float m = MathF.Abs(a);
            if (m == 1) return 1f;
            return (m < 1) == (b > 0) ? 0f : float.PositiveInfinity;
        }
        if (a == 0 || float.IsInfinity(a))
        {
            // 0^b and ∞^b: ±0 or ±∞, the sign kept only for an odd integer b.
            bool big = (a == 0) == (b < 0);
            float magnitude = big ? float.PositiveInfinity : 0f;
            return odd && float.IsNegative(a) ? -magnitude : magnitude;
        }
        if (a < 0 && !integer) return float.NaN;
        double r = ExpDouble(b * LogDouble(MathF.Abs(a)));
        return (float)(a < 0 && odd ? -r : r);
    }

    /// <summary>
    /// The exact float remainder of a / b with a's sign (C's fmodf, .NET's float %), by long division of the
    /// significands: no rounding at any quotient size.
    /// </summary>
    public static float Remainder(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b) || float.IsInfinity(a) || b == 0) return float.NaN;
        if (float.IsInfinity(b)) return a;
        float ax = MathF.Abs(a), ay = MathF.Abs(b);
        if (ax < ay) return a;
        uint ix = Interop.FloatAsInt(ax), iy = Interop.FloatAsInt(ay);
        int ex = (int)(ix >> 23), ey = (int)(iy >> 23);
        uint mx = ix & 0x7FFFFFu, my = iy & 0x7FFFFFu;
        if (ex == 0) { ex = 1; while (mx < 0x800000u) { mx <<= 1; ex--; } } else mx |= 0x800000u;
        if (ey == 0) { ey = 1; while (my < 0x800000u) { my <<= 1; ey--; } } else my |= 0x800000u;
        for (; ex > ey; ex--)
        {
            if (mx >= my) mx -= my;
            mx <<= 1;
        }
        if (mx >= my) mx -= my;
        if (mx == 0) return a < 0 ? -0f : 0f;
        while (mx < 0x800000u) { mx <<= 1; ey--; }
        uint bits = ey > 0 ? ((uint)ey << 23) | (mx & 0x7FFFFFu) : mx >> (1 - ey);
        float r = Interop.IntAsFloat(bits);
        return a < 0 ? -r : r;
    }
}
