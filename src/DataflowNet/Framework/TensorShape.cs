using System.Runtime.CompilerServices;

namespace DataflowNet;

/// <summary>
/// A possibly partial shape: unknown rank (<see cref="Unknown"/>) or a list of dimensions where -1 is unknown
/// (Python's None). Immutable. Converts implicitly from int[], tuples, int (a vector length) and NumSharp.Shape,
/// so <c>shape: (-1, 784)</c>, <c>new[] { -1, 784 }</c> and <c>new Shape(-1, 784)</c> all work.
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly int[]? _dims;

    public static readonly TensorShape Unknown = new(null, trusted: true);
    public static readonly TensorShape Scalar = new(Array.Empty<int>(), trusted: true);

    private TensorShape(int[]? dims, bool trusted) => _dims = dims;

    public TensorShape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < -1) throw new InvalidArgumentException($"Dimension {d} must be >= -1 (-1 means unknown).");
        _dims = (int[])dims.Clone();
    }

    internal static TensorShape Wrap(int[] dims) => new(dims, trusted: true);

    public bool IsUnknownRank => _dims is null;
    public int Rank => _dims?.Length ?? -1;
    public int ndims => Rank;
    public bool IsFullyDefined => _dims is not null && Array.TrueForAll(_dims, d => d >= 0);

    /// <summary>The dimensions; -1 marks an unknown one. Throws for unknown rank.</summary>
    public int[] Dims => _dims ?? throw new InvalidOperationException("Shape has unknown rank.");
    public int this[int i] => Dims[i < 0 ? i + Dims.Length : i];

    /// <summary>Number of elements, or -1 when not fully defined.</summary>
    public long NumElements()
    {
        if (!IsFullyDefined) return -1;
        long n = 1;
        foreach (var d in _dims!) n *= d;
        return n;
    }

    public int[] as_list() => (int[])Dims.Clone();

    public bool IsCompatibleWith(TensorShape other)
    {
        if (IsUnknownRank || other.IsUnknownRank) return true;
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dims![i] >= 0 && other._dims![i] >= 0 && _dims[i] != other._dims[i]) return false;
        return true;
    }

    /// <summary>Whether a concrete shape fits this (partial) one.</summary>
    internal bool Accepts(ReadOnlySpan<int> concrete)
    {
        if (_dims is null) return true;
        if (_dims.Length != concrete.Length) return false;
        for (int i = 0; i < _dims.Length; i++)
            if (_dims[i] >= 0 && _dims[i] != concrete[i]) return false;
        return true;
    }

    /// <summary>The most specific shape compatible with both, or null when they conflict.</summary>
    public TensorShape? MergeWith(TensorShape other)
    {
        if (IsUnknownRank) return other;
        if (other.IsUnknownRank) return this;
        if (!IsCompatibleWith(other)) return null;
        var d = new int[Rank];
        for (int i = 0; i < d.Length; i++) d[i] = _dims![i] >= 0 ? _dims[i] : other._dims![i];
        return new TensorShape(d);
    }

    public TensorShape WithDim(int axis, int value)
    {
        var d = as_list();
        d[axis] = value;
        return new TensorShape(d);
    }

    public static TensorShape UnknownOfRank(int rank) => new(Enumerable.Repeat(-1, rank).ToArray());

    /// <summary>TensorFlow 1's form: (?, 784), &lt;unknown&gt;, ().</summary>
    public override string ToString()
    {
        if (_dims is null) return "<unknown>";
        if (_dims.Length == 1) return $"({Dim(_dims[0])},)";
        return "(" + string.Join(", ", _dims.Select(Dim)) + ")";
        static string Dim(int d) => d < 0 ? "?" : d.ToString();
    }

    public bool Equals(TensorShape? other) =>
        other is not null && (ReferenceEquals(_dims, other._dims) ||
                              (_dims is not null && other._dims is not null && _dims.AsSpan().SequenceEqual(other._dims)));
    public override bool Equals(object? obj) => obj is TensorShape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        if (_dims is null) return -1;
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public static implicit operator TensorShape(int[] dims) => new(dims);
    public static implicit operator TensorShape(int length) => new(length);
    public static implicit operator TensorShape(NumSharp.Shape shape) =>
        shape.IsEmpty ? Scalar : new(shape.Dimensions.Select(d => checked((int)d)).ToArray());
    public static implicit operator TensorShape(ValueTuple<int, int> t) => new(t.Item1, t.Item2);
    public static implicit operator TensorShape(ValueTuple<int, int, int> t) => new(t.Item1, t.Item2, t.Item3);
    public static implicit operator TensorShape(ValueTuple<int, int, int, int> t) => new(t.Item1, t.Item2, t.Item3, t.Item4);
    public static implicit operator TensorShape(ValueTuple<int, int, int, int, int> t) =>
        new(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5);

    internal static string Format(ReadOnlySpan<int> dims) => Wrap(dims.ToArray()).ToString();
}
