using System.Runtime.CompilerServices;

namespace DataflowNet;

/// <summary>
/// Which rows a gradient touches, where it comes from a gather (an embedding lookup): TensorFlow passes such a
/// gradient as IndexedSlices, and its optimizers with per-row state (Momentum, RMSProp) update only those rows. Here the
/// gradient is dense (the rows summed by UnsortedSegmentSum), and this records its indices beside it, so those
/// optimizers can leave the other rows, and their accumulators, as they are.
/// </summary>
internal static class RowSparse
{
    internal sealed record Rows(Tensor Indices, Tensor RowCount);

    private static readonly ConditionalWeakTable<Tensor, Rows> Table = new();

    public static void Record(Tensor dense, Tensor indices, Tensor rowCount) => Table.AddOrUpdate(dense, new Rows(indices, rowCount));

    /// <summary>
    /// A sum of gather gradients of one table (looked up twice) touches the rows either touches, as TensorFlow
    /// aggregates IndexedSlices by concatenating them; a sum with any dense part is dense.
    /// </summary>
    public static void RecordSum(Tensor sum, IReadOnlyList<Tensor> parts)
    {
        var rows = new List<Rows>(parts.Count);
        foreach (var part in parts)
            if (Of(part) is { } r) rows.Add(r);
            else return;
        // int32 and int64 lookups of one table: their indices meet as int64, as TensorFlow's do.
        bool mixed = rows.Any(r => r.Indices.dtype != rows[0].Indices.dtype);
        Record(sum, tf.concat(rows.Select(r => (TensorLike)(mixed ? tf.cast(r.Indices, tf.int64) : r.Indices)).ToArray(), 0), rows[0].RowCount);
    }

    /// <summary>The rows <paramref name="gradient"/> touches, when it is a gather's gradient (or a sum of them) that reached the optimizer as it was.</summary>
    public static Rows? Of(Tensor gradient) => Table.TryGetValue(gradient, out var rows) ? rows : null;

    /// <summary>
    /// A bool mask of the touched rows, shaped [rows, 1, …] to broadcast over a variable of rank <paramref name="rank"/>.
    /// </summary>
    public static Tensor Mask(Rows rows, int rank, DataType dtype)
    {
        var hits = tf.Op("UnsortedSegmentSum", [tf.ones_like(rows.Indices, dtype), rows.Indices, rows.RowCount]);
        var touched = tf.greater(hits, tf.zeros_like(hits));
        return rank <= 1 ? touched : tf.reshape(touched, Enumerable.Repeat(1, rank).Select((d, i) => i == 0 ? -1 : d).ToArray());
    }
}
