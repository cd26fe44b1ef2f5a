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
