using DataflowNet.Io.Checkpoints;
using DataflowNet.Io.Proto;

namespace DataflowNet;

public static partial class tf
{
    public static partial class train
    {
        /// <summary>
        /// A Saver for <paramref name="var_list"/> (every global variable when null), keyed by each variable's op name.
        /// Keeps the newest <paramref name="max_to_keep"/> checkpoints (0: keep all), plus one per
        /// <paramref name="keep_checkpoint_every_n_hours"/>. The <c>checkpoint</c> state file names them relative to its
        /// directory unless <paramref name="save_relative_paths"/> is false (TensorFlow 1's default is false: paths as given).
        /// </summary>
        public static DataflowNet.Saver Saver(IEnumerable<Variable>? var_list = null, int max_to_keep = 5, float keep_checkpoint_every_n_hours = 10000f,
                                              string name = "save", bool save_relative_paths = true)
        {
            var list = (var_list ?? global_variables()).ToList();
            return new(list.Select(v => (v.op.name, v)), max_to_keep, keep_checkpoint_every_n_hours, name, save_relative_paths);
        }

        /// <summary>A Saver whose checkpoint keys are the dictionary's names (to read checkpoints written under other names).</summary>
        public static DataflowNet.Saver Saver(IDictionary<string, Variable> var_list, int max_to_keep = 5, float keep_checkpoint_every_n_hours = 10000f,
                                              string name = "save", bool save_relative_paths = true) =>
            new(var_list.Select(kv => (kv.Key, kv.Value)), max_to_keep, keep_checkpoint_every_n_hours, name, save_relative_paths);

        /// <summary>The prefix of the latest checkpoint named by <paramref name="checkpoint_dir"/>'s state file, or null when there is none.</summary>
        public static string? latest_checkpoint(string checkpoint_dir, string? latest_filename = null) =>
            CheckpointStateFile.Latest(checkpoint_dir, latest_filename);

        /// <summary>The directory's <c>checkpoint</c> state (paths joined with the directory), or null when there is none.</summary>
        public static CheckpointState? get_checkpoint_state(string checkpoint_dir, string? latest_filename = null) =>
            CheckpointStateFile.Read(checkpoint_dir, latest_filename);

        /// <summary>Whether a V2 checkpoint exists at the prefix.</summary>
        public static bool checkpoint_exists(string checkpoint_prefix) => TensorBundle.Exists(checkpoint_prefix);

        /// <summary>A reader of the checkpoint (a prefix, or a directory: its latest checkpoint).</summary>
        public static CheckpointReader load_checkpoint(string ckpt_dir_or_file) => new(new BundleReader(CheckpointPrefix(ckpt_dir_or_file)));

        /// <summary>Every tensor in the checkpoint as (name, shape), sorted by name.</summary>
        public static List<(string name, int[] shape)> list_variables(string ckpt_dir_or_file)
        {
            var reader = new BundleReader(CheckpointPrefix(ckpt_dir_or_file));
            return reader.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(k => (k, reader.Shape(k))).ToList();
        }

        /// <summary>The value of one tensor in the checkpoint (a trailing ":0" is ignored, as TensorFlow does).</summary>
        public static TensorValue load_variable(string ckpt_dir_or_file, string name)
        {
            if (name.EndsWith(":0", StringComparison.Ordinal)) name = name[..^2];
            return new BundleReader(CheckpointPrefix(ckpt_dir_or_file)).Read(name);
        }

        private static string CheckpointPrefix(string ckptDirOrFile)
        {
            if (!Directory.Exists(ckptDirOrFile)) return ckptDirOrFile;
            return CheckpointStateFile.Latest(ckptDirOrFile)
                   ?? throw new NotFoundException($"Couldn't find 'checkpoint' file or checkpoints in given directory {ckptDirOrFile}");
        }
    }
}

/// <summary>TensorFlow's CheckpointReader (tf.train.load_checkpoint): names, shapes, dtypes and values of a checkpoint's tensors.</summary>
public sealed class CheckpointReader
{
    private readonly BundleReader _reader;
    internal CheckpointReader(BundleReader reader) => _reader = reader;

    public bool has_tensor(string name) => _reader.Contains(name);
    /// <summary>The tensor's value, its checksum verified.</summary>
    public TensorValue get_tensor(string name) => _reader.Read(name);
    public Dictionary<string, int[]> get_variable_to_shape_map() => _reader.Keys.ToDictionary(k => k, _reader.Shape);
    public Dictionary<string, DataType> get_variable_to_dtype_map() => _reader.Keys.ToDictionary(k => k, _reader.DType);
}
