package dev.sublinear.training.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/**
 * A new word-embedding table as transformers' _init_weights makes one for an nn.Embedding with a
 * padding_idx: normal(0, std) everywhere, then the padding row set to zero.
 */
final class PaddingRowInitializer implements Initializer {

    private final float std;
    private final long paddingRow;

    PaddingRowInitializer(double std, long paddingRow) {
        this.std = (float) std;
        this.paddingRow = paddingRow;
    }

    @Override
    public NDArray initialize(NDManager manager, Shape shape, DataType dataType) {
        NDArray table = manager.randomNormal(0f, std, shape, dataType);
        table.set(new NDIndex(paddingRow), 0f);
        return table;
    }
}
