namespace DataflowNet.Kernels;

/// <summary>
/// GatherV2's batch_dims, shared by the shape function, both devices' kernels and the gradient. With b batch dims,
/// params [B…, M…, N, inner…] (axis = b + rank(M…)) and indices [B…, I…]: out[B…, M…, I…, inner…] takes row
/// indices[B…, I…] of params[B…, M…] along the axis. TensorFlow's rules: a negative b counts from the indices' rank,
/// b ≤ axis, b ≤ rank(indices), and the first b dims of params and indices agree.
/// </summary>
internal static class GatherBatch
{
    /// <summary>batch_dims normalized (0 ≤ b), or the error naming what breaks TensorFlow's rules.</summary>
    public static int Dims(int batchDims, int axis, ReadOnlySpan<int> paramsDims, ReadOnlySpan<int> indexDims, Func<string, Exception> error)
    {
        int b = batchDims < 0 ? batchDims + indexDims.Length : batchDims;
        if (b < 0 || b > indexDims.Length)
            throw error($"batch_dims = {batchDims} must be in [-{indexDims.Length}, {indexDims.Length}] for indices of rank {indexDims.Length}.");
        if (b > axis)
            throw error($"batch_dims = {batchDims} must be at most the axis, {axis}.");
        for (int d = 0; d < b; d++)
            if (paramsDims[d] >= 0 && indexDims[d] >= 0 && paramsDims[d] != indexDims[d])
                throw error($"params shape {TensorShape.Format(paramsDims.ToArray())} and indices shape {TensorShape.Format(indexDims.ToArray())} must agree in their first {b} (batch) dims; dim {d} is {paramsDims[d]} and {indexDims[d]}.");
        return b;
    }

    /// <summary>The batch count B, the M rows between the batch dims and the axis, and the I indices of each batch (known dims).</summary>
    public static (int Batches, int Middle, int PerBatch) Sizes(int b, int axis, int[] paramsDims, int[] indexDims) =>
        (ShapeUtil.Count(paramsDims[..b]), ShapeUtil.Count(paramsDims[b..axis]), ShapeUtil.Count(indexDims[b..]));
}
