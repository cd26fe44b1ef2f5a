namespace DataflowNet.Kernels.Gpu;

/// <summary>Up to six dims or strides, passed to a kernel by value (kernel parameters cannot be arrays).</summary>
internal struct Shape6
{
    public const int MaxRank = 6;
    public int D0, D1, D2, D3, D4, D5;

    public static Shape6 Of(ReadOnlySpan<int> v)
    {
        var s = new Shape6();
        for (int i = 0; i < v.Length; i++) s.Set(i, v[i]);
        return s;
    }

    public readonly int Get(int i) => i switch { 0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, _ => D5 };

    /// <summary>
    /// The offsets in two broadcast operands of element <paramref name="index"/> of a [dims] result (row-major, the
    /// first <paramref name="rank"/> dims): each operand's strides are 0 along the dims it broadcasts.
    /// </summary>
    public static OffsetPair BroadcastOffsets(int index, Shape6 dims, Shape6 strideA, Shape6 strideB, int rank)
    {
        int rem = index, a = 0, b = 0;
        for (int d = rank - 1; d >= 0; d--)
        {
            int n = dims.Get(d);
            int c = rem % n;
            rem /= n;
            a += c * strideA.Get(d);
            b += c * strideB.Get(d);
        }
        return new OffsetPair { A = a, B = b };
    }

    private void Set(int i, int v)
    {
        switch (i)
        {
            case 0: D0 = v; break;
            case 1: D1 = v; break;
            case 2: D2 = v; break;
            case 3: D3 = v; break;
            case 4: D4 = v; break;
            default: D5 = v; break;
        }
    }
}

/// <summary>An element's offsets in two operands (<see cref="Shape6.BroadcastOffsets"/>).</summary>
internal struct OffsetPair
{
    public int A, B;
}
