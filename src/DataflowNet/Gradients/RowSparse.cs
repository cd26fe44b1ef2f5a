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

    /// <summary>The rows <paramref name="gradient"/> touches, when it is a gather's gradient that reached the optimizer as it was.</summary>
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
