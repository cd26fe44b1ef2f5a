namespace DataflowNet;

public static partial class tf
{
    /// <summary>Optimizers and learning-rate schedules (tf.train).</summary>
    public static partial class train
    {
        public static GradientDescentOptimizer GradientDescentOptimizer(TensorLike learning_rate, string name = "GradientDescent") => new(learning_rate, name);
        public static MomentumOptimizer MomentumOptimizer(TensorLike learning_rate, TensorLike momentum, bool use_nesterov = false, string name = "Momentum") =>
            new(learning_rate, momentum, use_nesterov, name);
        public static AdamOptimizer AdamOptimizer(TensorLike? learning_rate = null, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, string name = "Adam") =>
            new(learning_rate, beta1, beta2, epsilon, name);
        public static AdagradOptimizer AdagradOptimizer(TensorLike learning_rate, float initial_accumulator_value = 0.1f, string name = "Adagrad") =>
            new(learning_rate, initial_accumulator_value, name);
        public static RMSPropOptimizer RMSPropOptimizer(TensorLike learning_rate, float decay = 0.9f, float momentum = 0f, float epsilon = 1e-10f, string name = "RMSProp") =>
            new(learning_rate, decay, momentum, epsilon, name);

        /// <summary>The graph's int64 global_step variable, created (at 0, not trainable) on first use.</summary>
        public static Variable get_or_create_global_step(Graph? graph = null)
        {
            graph ??= DataflowNet.Graph.Default;
            var existing = graph.get_collection<Variable>(DataflowNet.GraphKeys.GLOBAL_STEP).FirstOrDefault();
            if (existing is not null) return existing;
            using var _ = graph.as_default();
            using var noControl = graph.control_dependencies(null);
            var step = DataflowNet.Variable.Create(0L, trainable: false, name: "global_step", dtype: DataType.Int64, validateShape: true);
            graph.add_to_collection(DataflowNet.GraphKeys.GLOBAL_STEP, step);
            return step;
        }

        public static Variable? get_global_step(Graph? graph = null) =>
            (graph ?? DataflowNet.Graph.Default).get_collection<Variable>(DataflowNet.GraphKeys.GLOBAL_STEP).FirstOrDefault();

        /// <summary>learning_rate · decay_rate^(global_step / decay_steps), the exponent floored when <paramref name="staircase"/>.</summary>
        public static Tensor exponential_decay(TensorLike learning_rate, Tensor global_step, int decay_steps, float decay_rate, bool staircase = false, string? name = null)
        {
            if (decay_steps <= 0) throw new InvalidArgumentException($"decay_steps must be positive, got {decay_steps}.");
            var lr = learning_rate.ToTensor(DataType.Float32, "learning_rate");
            using var scope = lr.graph.name_scope(name ?? "ExponentialDecay");
            var p = cast(global_step, lr.dtype) / cast(decay_steps, lr.dtype);
            if (staircase) p = floor(p);
            return multiply(lr, pow(constant(decay_rate, lr.dtype), p), name: scope.Name);
        }

        /// <summary>values[0] while x &lt;= boundaries[0], values[1] while x &lt;= boundaries[1], …, values[^1] after the last boundary.</summary>
        public static Tensor piecewise_constant(Tensor x, int[] boundaries, float[] values, string? name = null)
        {
            if (values.Length != boundaries.Length + 1)
                throw new InvalidArgumentException($"piecewise_constant needs one more value than boundaries, got {values.Length} values and {boundaries.Length} boundaries.");
            using var scope = x.graph.name_scope(name ?? "PiecewiseConstant");
            var step = cast(x, DataType.Int64);
            Tensor result = constant(values[^1]);
            for (int i = boundaries.Length - 1; i >= 0; i--)
                result = where(less_equal(step, constant((long)boundaries[i])), constant(values[i]), result);
            return identity(result, name: scope.Name);
        }
    }
}
