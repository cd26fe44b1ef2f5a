using System.Text.RegularExpressions;

namespace DataflowNet;

public static partial class tf
{
    /// <summary>
    /// Summaries for TensorBoard (tf.summary): ops that output a serialized Summary, collected in
    /// <c>GraphKeys.SUMMARIES</c>, merged into one op, and written by a <see cref="DataflowNet.FileWriter"/>.
    /// As in TensorFlow, a summary's tag is its op's name: the name, cleaned and made unique within the current name
    /// scope (<c>layer1/loss</c>, <c>loss_1</c>).
    /// </summary>
    public static partial class summary
    {
        /// <summary>A summary of one scalar value (a float32 in the event file), tagged with the op's unique name.</summary>
        public static Tensor scalar(string name, TensorLike tensor, IEnumerable<string>? collections = null, string? family = null) =>
            SummaryOp("ScalarSummary", "tags", name, tensor, collections, family);

        /// <summary>
        /// A histogram of every value of <paramref name="values"/> (any shape), in TensorFlow's buckets. A NaN or an
        /// infinity fails the run with an <see cref="InvalidArgumentException"/> ("Nan in summary histogram for: …").
        /// </summary>
        public static Tensor histogram(string name, TensorLike values, IEnumerable<string>? collections = null, string? family = null) =>
            SummaryOp("HistogramSummary", "tag", name, values, collections, family);

        /// <summary>A summary op over one tensor: its tag (a string constant named <paramref name="tagInput"/>) is the op's unique name.</summary>
        private static Tensor SummaryOp(string type, string tagInput, string name, TensorLike value, IEnumerable<string>? collections, string? family)
        {
            var t = value.ToTensor();
            using var scope = SummaryScope(t.graph, name, family, out var tag);
            var tags = WithGraph(t.graph, () => constant(tag, name: tagInput));
            var op = t.graph.CreateOp(type, [tags, t], new() { ["T"] = t.dtype }, scope.Name).outputs[0];
            Collect(op, collections, [DataflowNet.GraphKeys.SUMMARIES]);
            return op;
        }

        /// <summary>One summary holding every value of <paramref name="inputs"/>; two values with one tag fail the run.</summary>
        public static Tensor merge(IEnumerable<Tensor> inputs, IEnumerable<string>? collections = null, string? name = null)
        {
            var list = inputs?.ToArray() ?? throw new ArgumentNullException(nameof(inputs));
            if (list.Length == 0) throw new InvalidArgumentException("tf.summary.merge needs at least one summary to merge.");
            var graph = list[0].graph;
            var clean = CleanTag(name);
            // As TensorFlow: the op inside a scope of the same name (merged/merged), Merge/MergeSummary by default.
            using var scope = graph.name_scope(clean ?? "Merge");
            var op = graph.CreateOp("MergeSummary", list, new() { ["N"] = list.Length }, clean).outputs[0];
            Collect(op, collections, []);
            return op;
        }

        /// <summary>
        /// Merges every summary in the collection <paramref name="key"/> of the default graph (those whose name
        /// matches the regular expression <paramref name="scope"/> at its start, when given); null when there is none.
        /// </summary>
        public static Tensor? merge_all(string key = DataflowNet.GraphKeys.SUMMARIES, string? scope = null, string? name = null)
        {
            var ops = DataflowNet.Graph.Default.get_collection<Tensor>(key);
            if (scope is not null) ops = ops.Where(t => Regex.IsMatch(t.name, "^(?:" + scope + ")")).ToList();
            return ops.Count == 0 ? null : merge(ops, name: name);
        }

        /// <summary>A writer of TensorBoard event files in <paramref name="logdir"/> (created if missing), with the graph when given.</summary>
        public static DataflowNet.FileWriter FileWriter(string logdir, Graph? graph = null, int max_queue = 10, double flush_secs = 120, string? filename_suffix = null) =>
            new(logdir, graph, max_queue, flush_secs, filename_suffix);

        private static readonly Regex InvalidTagCharacters = new(@"[^-/\w\.]", RegexOptions.Compiled);

        /// <summary>TensorFlow's clean_tag: characters a node name cannot hold become '_', leading slashes go.</summary>
        internal static string? CleanTag(string? name) => name is null ? null : InvalidTagCharacters.Replace(name, "_").TrimStart('/');

        /// <summary>The summary's name scope and its tag (the scope's unique name, under the family when given).</summary>
        private static NameScope SummaryScope(Graph graph, string name, string? family, out string tag)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            var clean = CleanTag(name)!;
            var cleanFamily = CleanTag(family);
            var scope = graph.name_scope(cleanFamily is null ? clean : $"{cleanFamily}/{clean}");
            tag = cleanFamily is null ? scope.Path : $"{cleanFamily}/{scope.Path}";
            return scope;
        }

        private static T WithGraph<T>(Graph graph, Func<T> build)
        {
            using var _ = graph.as_default();
            return build();
        }

        private static void Collect(Tensor summary, IEnumerable<string>? collections, string[] defaults)
        {
            foreach (var key in collections ?? defaults) summary.graph.add_to_collection(key, summary);
        }
    }
}
