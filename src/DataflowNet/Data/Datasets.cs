namespace DataflowNet;

/// <summary>The three splits <see cref="input_data"/> returns, named as TensorFlow's tutorial names them.</summary>
public sealed record Datasets(DataSet train, DataSet validation, DataSet test);
