"""cmrxtrain: PyTorch reference implementations of the cmrxkit papers' models, training on
CMRxRecon-layout data, and ONNX export for cmrxkit's engine."""
