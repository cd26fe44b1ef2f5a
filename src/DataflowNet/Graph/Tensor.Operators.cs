using System.Globalization;

namespace DataflowNet;

// Python's tensor operators. Each side may be a C# number or array; it becomes a constant of the tensor's dtype.
public partial class Tensor
{
    public static Tensor operator +(Tensor x, Tensor y) => tf.add(x, y);
    public static Tensor operator +(Tensor x, TensorLike y) => tf.add(x, y);
    public static Tensor operator +(TensorLike x, Tensor y) => tf.add(x, y);
    public static Tensor operator -(Tensor x, Tensor y) => tf.subtract(x, y);
    public static Tensor operator -(Tensor x, TensorLike y) => tf.subtract(x, y);
    public static Tensor operator -(TensorLike x, Tensor y) => tf.subtract(x, y);
    public static Tensor operator *(Tensor x, Tensor y) => tf.multiply(x, y);
    public static Tensor operator *(Tensor x, TensorLike y) => tf.multiply(x, y);
    public static Tensor operator *(TensorLike x, Tensor y) => tf.multiply(x, y);
    /// <summary>Python 3's x / y: true division (integers divide as floats).</summary>
    public static Tensor operator /(Tensor x, Tensor y) => tf.truediv(x, y);
    public static Tensor operator /(Tensor x, TensorLike y) => tf.truediv(x, y);
    public static Tensor operator /(TensorLike x, Tensor y) => tf.truediv(x, y);
    /// <summary>Python's x % y: floor modulo.</summary>
    public static Tensor operator %(Tensor x, Tensor y) => tf.floormod(x, y);
    public static Tensor operator %(Tensor x, TensorLike y) => tf.floormod(x, y);
    public static Tensor operator %(TensorLike x, Tensor y) => tf.floormod(x, y);
    public static Tensor operator -(Tensor x) => tf.negative(x);
    public static Tensor operator <(Tensor x, TensorLike y) => tf.less(x, y);
    public static Tensor operator >(Tensor x, TensorLike y) => tf.greater(x, y);
    public static Tensor operator <=(Tensor x, TensorLike y) => tf.less_equal(x, y);
    public static Tensor operator >=(Tensor x, TensorLike y) => tf.greater_equal(x, y);
    public static Tensor operator &(Tensor x, Tensor y) => tf.logical_and(x, y);
    public static Tensor operator |(Tensor x, Tensor y) => tf.logical_or(x, y);
    public static Tensor operator !(Tensor x) => tf.logical_not(x);

    /// <summary>x[i]: index the first dimension (removing it), as Python's x[i].</summary>
    public Tensor this[int index] => Slice(index.ToString(CultureInfo.InvariantCulture));

    /// <summary>x[i, j, …]: index several leading dimensions.</summary>
    public Tensor this[int i, int j, params int[] rest] =>
        Slice(string.Join(",", new[] { i, j }.Concat(rest).Select(v => v.ToString(CultureInfo.InvariantCulture))));

    /// <summary>
    /// Python slicing, as text: <c>x["1:3, ::2"]</c>, <c>x[":, -1"]</c>, <c>x["..., tf.newaxis"]</c> (also "None" or
    /// "newaxis"). Becomes one StridedSlice op, as in TensorFlow.
    /// </summary>
    public Tensor this[string spec] => Slice(spec);

    private Tensor Slice(string spec)
    {
        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        var begin = new List<int>();
        var end = new List<int>();
        var strides = new List<int>();
        int beginMask = 0, endMask = 0, ellipsisMask = 0, newAxisMask = 0, shrinkMask = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            var p = parts[i];
            int bit = 1 << i;
            if (p == "...") { ellipsisMask |= bit; Add(0, 0, 1); continue; }
            if (p is "tf.newaxis" or "newaxis" or "None") { newAxisMask |= bit; Add(0, 0, 1); continue; }
            if (!p.Contains(':'))
            {
                shrinkMask |= bit;
                var index = ParseInt(p);
                Add(index, index + 1, 1);
                continue;
            }
            var f = p.Split(':');
            if (f.Length > 3) throw new InvalidArgumentException($"Bad slice '{p}' in '{spec}'.");
            int stride = f.Length == 3 && f[2].Trim().Length > 0 ? ParseInt(f[2]) : 1;
            if (f[0].Trim().Length == 0) beginMask |= bit;
            if (f[1].Trim().Length == 0) endMask |= bit;
            Add(f[0].Trim().Length == 0 ? 0 : ParseInt(f[0]), f[1].Trim().Length == 0 ? 0 : ParseInt(f[1]), stride);
        }
        return tf.strided_slice(this, begin.ToArray(), end.ToArray(), strides.ToArray(), beginMask, endMask, ellipsisMask, newAxisMask, shrinkMask,
                                name: "strided_slice");

        void Add(int b, int e, int s) { begin.Add(b); end.Add(e); strides.Add(s); }
        int ParseInt(string s) => int.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new InvalidArgumentException($"Bad index '{s}' in slice '{spec}'.");
    }
}
