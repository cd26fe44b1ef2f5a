namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// Division of a non-negative int by a divisor fixed for a whole launch, as a multiply and a shift: PTX has no
/// integer divide instruction, and a convolution's gathers split indices into (image, row, column, channel) at every
/// load, where div.s32's emulation cost more than the arithmetic the loads feed. With l = ⌈log₂ d⌉ and
/// m = ⌈2^(31+l) / d⌉, q = (n·m) >> (31 + l) is exact for 0 ≤ n &lt; 2³¹ (Granlund and Montgomery, 1994: the error
/// n·(m·d − 2^(31+l)) / (d·2^(31+l)) stays below 1/d); m ≤ 2³² + 1, so n·m fits an unsigned 64-bit product.
/// </summary>
internal readonly struct FastDivisor
{
    public readonly int Divisor;
    private readonly ulong _multiplier;
    private readonly int _shift;

    public FastDivisor(int divisor)
    {
        if (divisor < 1) throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "A divisor is at least 1.");
        int l = 0;
        while ((1L << l) < divisor) l++;
        Divisor = divisor;
        _shift = 31 + l;
        _multiplier = ((1UL << _shift) + (ulong)divisor - 1) / (ulong)divisor; // 2^(31+l) ≤ 2⁶²: no overflow
    }

    /// <summary>n / Divisor, for 0 ≤ n.</summary>
    public int Div(int n) => (int)(((ulong)(uint)n * _multiplier) >> _shift);

    /// <summary>n % Divisor, for 0 ≤ n.</summary>
    public int Rem(int n) => n - Div(n) * Divisor;
}
