namespace DataflowNet;

public static partial class tf
{
    public static partial class nn
    {
        /// <summary>
        /// Per-row cross-entropy between softmax(logits) and a distribution over classes (one-hot labels), fused and
        /// stable for large logits. TensorFlow 1's version: no gradient flows into the labels.
        /// </summary>
        public static Tensor softmax_cross_entropy_with_logits(TensorLike labels, TensorLike logits, int dim = -1, string? name = null) =>
            SoftmaxCrossEntropy(labels, logits, dim, name ?? "softmax_cross_entropy_with_logits", stopLabels: true);

        /// <summary>As <see cref="softmax_cross_entropy_with_logits"/>, with gradients into the labels too.</summary>
        public static Tensor softmax_cross_entropy_with_logits_v2(TensorLike labels, TensorLike logits, int axis = -1, string? name = null) =>
            SoftmaxCrossEntropy(labels, logits, axis, name ?? "softmax_cross_entropy_with_logits", stopLabels: false);

        private static Tensor SoftmaxCrossEntropy(TensorLike labels, TensorLike logits, int axis, string name, bool stopLabels)
        {
            // Checked before the labels are wrapped in StopGradient, so errors name the user's labels tensor.
            var (z, l) = Operands(logits, labels);
            if (!z.shape.IsCompatibleWith(l.shape))
                throw new InvalidArgumentException($"logits and labels must have the same shape: logits {z.name} has shape {z.shape}, labels {l.name} has shape {l.shape}.");
            if (stopLabels) l = stop_gradient(l);
            int rank = z.shape.IsUnknownRank ? l.shape.IsUnknownRank ? -1 : l.shape.Rank : z.shape.Rank;
            if (rank == 2 && axis is -1 or 1 || (rank < 0 && axis == -1))
                return OpN("SoftmaxCrossEntropyWithLogits", [z, l], name: name)[0];
            if (rank < 0) throw new InvalidArgumentException($"softmax_cross_entropy_with_logits over axis {axis} needs the rank of {z.name}.");
            if (rank == 0) throw new InvalidArgumentException($"softmax_cross_entropy_with_logits needs logits of rank 1 or more; {z.name} is a scalar.");
            // As TensorFlow: the class axis moved last, the outer axes flattened into rows, the cost shaped back.
            int a = ShapeUtil.NormalizeAxis(axis, rank, m => new InvalidArgumentException($"softmax_cross_entropy_with_logits: {m}"));
            if (a != rank - 1)
            {
                var perm = Enumerable.Range(0, rank).Where(i => i != a).Append(a).ToArray();
                (z, l) = (transpose(z, perm), transpose(l, perm));
            }
            var outer = strided_slice(shape(z), [0], [-1], [1]);
            var rows = stack([tf.IntScalar(-1, "rows"), strided_slice(shape(z), [-1], [0], [1], end_mask: 1, shrink_axis_mask: 1)]);
            var cost = OpN("SoftmaxCrossEntropyWithLogits", [reshape(z, rows), reshape(l, rows)], name: name)[0];
            return reshape(cost, outer);
        }

        /// <summary>Cross-entropy with integer class labels: labels[i] in [0, classes) for logits row i.</summary>
        public static Tensor sparse_softmax_cross_entropy_with_logits(TensorLike labels, TensorLike logits, string? name = null)
        {
            var z = logits.ToTensor();
            var l = labels.ToTensor(DataType.Int32);
            if (!l.dtype.IsInteger())
                throw new InvalidArgumentException($"labels must be int32 or int64 class indices, but {l.name} is {l.dtype.Name()}.");
            if (!z.shape.IsUnknownRank && !l.shape.IsUnknownRank && z.shape.Rank != l.shape.Rank + 1)
                throw new InvalidArgumentException($"Rank mismatch: labels {l.name} has shape {l.shape}, logits {z.name} has shape {z.shape}; logits must have one more dimension than labels.");
            if (l.shape.IsUnknownRank || l.shape.Rank == 1)
                return OpN("SparseSoftmaxCrossEntropyWithLogits", [z, l], name: name ?? "SparseSoftmaxCrossEntropyWithLogits")[0];
            // Labels [d0, …, dn] with logits [d0, …, dn, classes] (a sequence model's [batch, time]): as TensorFlow,
            // flattened into rows and the cost shaped as the labels.
            var classes = strided_slice(shape(z), [-1], [0], [1], end_mask: 1);
            var rows = concat(new TensorLike[] { tf.IntVector([-1], "rows"), classes }, 0);
            var cost = OpN("SparseSoftmaxCrossEntropyWithLogits", [reshape(z, rows), reshape(l, new[] { -1 })],
                name: name ?? "SparseSoftmaxCrossEntropyWithLogits")[0];
            return reshape(cost, shape(l));
        }

        /// <summary>
        /// Elementwise logistic loss: max(x, 0) - x·z + log(1 + e^-|x|), stable for large |x|. max(x, 0) and -|x| are
        /// taken with one select on x ≥ 0, as TensorFlow does, so the gradient at x = 0 is σ(0) − z, not the −z that
        /// relu's and abs's zero slopes at their kinks would give.
        /// </summary>
        public static Tensor sigmoid_cross_entropy_with_logits(TensorLike labels, TensorLike logits, string? name = null)
        {
            var (x, z) = Operands(logits, labels);
            if (!x.shape.IsCompatibleWith(z.shape))
                throw new InvalidArgumentException($"logits and labels must have the same shape: logits {x.name} has shape {x.shape}, labels {z.name} has shape {z.shape}.");
            using var scope = x.graph.name_scope(name ?? "logistic_loss");
            var zeros = zeros_like(x);
            var positive = greater_equal(x, zeros);
            var reluLogits = where(positive, x, zeros);
            var negAbsLogits = where(positive, negative(x), x);
            return add(reluLogits - x * z, log1p(exp(negAbsLogits)), name: scope.Name);
        }

        /// <summary>sum(t²) / 2.</summary>
        public static Tensor l2_loss(TensorLike t, string? name = null) => Op("L2Loss", [t.ToTensor()], name: name);

        /// <summary>
        /// Keeps each element with probability keep_prob (scaled by 1/keep_prob), else zeroes it; give keep_prob or
        /// rate = 1 - keep_prob. keep_prob may be a placeholder, fed 1.0 at test time as the tutorials do.
        /// </summary>
        public static Tensor dropout(TensorLike x, TensorLike? keep_prob = null, int? seed = null, TensorLike? rate = null, string? name = null)
        {
            var t = x.ToTensor();
            if ((keep_prob is null) == (rate is null))
                throw new InvalidArgumentException("dropout needs exactly one of keep_prob and rate.");
            using var scope = t.graph.name_scope(name ?? "dropout");
            var given = keep_prob is not null ? keep_prob.Value.ToTensor(t.dtype, "keep_prob") : rate!.Value.ToTensor(t.dtype, "rate");
            // A value known now must keep something and never amplify: keep_prob 0 made every element NaN (x/0 · 0).
            if (ConstantFolding.TryEvaluate(given) is { size: 1 } known)
            {
                double k = known.ScalarAs<double>();
                if (keep_prob is not null && !(k > 0 && k <= 1))
                    throw new InvalidArgumentException($"keep_prob must be a scalar tensor or a float in the range (0, 1], got {k}");
                if (rate is not null && !(k >= 0 && k < 1))
                    throw new InvalidArgumentException($"rate must be a scalar tensor or a float in the range [0, 1), got {k}");
            }
            var keep = keep_prob is not null ? given : subtract(1, given);
            var uniform = RandomFromShape("RandomUniform", shape(t), t.dtype, seed);
            var mask = floor(keep + uniform);
            return multiply(t / keep, mask, name: scope.Name);
        }

        /// <summary>Whether each target class is among the top k predictions of its row.</summary>
        public static Tensor in_top_k(TensorLike predictions, TensorLike targets, int k, string? name = null) =>
            Op("InTopKV2", [predictions.ToTensor(), targets.ToTensor(DataType.Int32), IntScalar(k, "k")], name: name);

        /// <summary>Rows of <paramref name="params"/> selected by ids.</summary>
        public static Tensor embedding_lookup(TensorLike @params, TensorLike ids, string? name = null) =>
            gather(@params, ids, 0, name ?? "embedding_lookup");
    }

    /// <summary>Loss functions (tf.losses); each adds its loss to the LOSSES collection.</summary>
    public static class losses
    {
        /// <summary>
        /// (predictions - labels)², weighted and reduced as TensorFlow 1's default SUM_BY_NONZERO_WEIGHTS: the sum of
        /// the weighted losses over the number of non-zero weights (broadcast to the losses; 0 when there is none).
        /// Without weights, the mean. Weights must broadcast to the losses' shape: a scalar, or of their rank with each
        /// dimension 1 or theirs.
        /// </summary>
        public static Tensor mean_squared_error(TensorLike labels, TensorLike predictions, TensorLike? weights = null, string? name = null)
        {
            var (p, l) = Operands(predictions, labels);
            if (!p.shape.IsCompatibleWith(l.shape))
                throw new InvalidArgumentException($"labels and predictions must have the same shape: labels {l.name} has shape {l.shape}, predictions {p.name} has shape {p.shape}.");
            using var scope = p.graph.name_scope(name ?? "mean_squared_error");
            var squared = squared_difference(p, l);
            Tensor loss;
            if (weights is null) loss = reduce_mean(squared, name: "value");
            else
            {
                var w = weights.Value.ToTensor(p.dtype, "weights");
                var (ws, ls) = (w.shape, squared.shape);
                if (!ws.IsUnknownRank && !ls.IsUnknownRank && ws.Rank != 0
                    && (ws.Rank != ls.Rank || Enumerable.Range(0, ws.Rank).Any(i => ws[i] >= 0 && ls[i] >= 0 && ws[i] != 1 && ws[i] != ls[i])))
                    throw new InvalidArgumentException($"weights {w.name} of shape {ws} cannot be broadcast to the losses' shape {ls}: a scalar, or the same rank with each dimension 1 or the losses'.");
                var total = reduce_sum(squared * w);
                var present = reduce_sum(where_v2(not_equal(w, zeros_like(w)), ones_like(squared), zeros_like(squared)));
                var any = greater(present, zeros_like(present));
                loss = where(any, total / where(any, present, ones_like(present)), zeros_like(total), name: "value");
            }
            p.graph.add_to_collection(DataflowNet.GraphKeys.LOSSES, loss);
            return loss;
        }

        public static Tensor softmax_cross_entropy(TensorLike onehot_labels, TensorLike logits, string? name = null)
        {
            // As TensorFlow 1: no gradient flows into the labels (a teacher's outputs stay fixed).
            var loss = reduce_mean(nn.softmax_cross_entropy_with_logits(onehot_labels, logits), name: name ?? "softmax_cross_entropy_loss");
            loss.graph.add_to_collection(DataflowNet.GraphKeys.LOSSES, loss);
            return loss;
        }

        public static Tensor sparse_softmax_cross_entropy(TensorLike labels, TensorLike logits, string? name = null)
        {
            var loss = reduce_mean(nn.sparse_softmax_cross_entropy_with_logits(labels, logits), name: name ?? "sparse_softmax_cross_entropy_loss");
            loss.graph.add_to_collection(DataflowNet.GraphKeys.LOSSES, loss);
            return loss;
        }
    }

    /// <summary>A random op whose shape is a run-time tensor (dropout's noise has the shape of its input).</summary>
    internal static Tensor RandomFromShape(string type, Tensor shapeTensor, DataType dtype, int? seed)
    {
        var (s1, s2) = Seeds(seed);
        return Op(type, [shapeTensor], new() { ["dtype"] = dtype, ["seed"] = s1, ["seed2"] = s2 }, type);
    }
}
