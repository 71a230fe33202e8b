"""The course model zoo (units 1-6 here; later units register the same way).

    units 1-2  LeastSquaresClassifier, LogisticRegression, SoftmaxRegression, OneVsRest, OneVsOne
    unit 4     MLP, DeepMLP, vanishing_gradient_study
    unit 5     LeNet5, VGGNet, InceptionNet, toeplitz_demo, detect_edges
    unit 6     ResNet, Autoencoder, ConvAutoencoder, PCA, VAE, transfer_weights, freeze,
               mdlfast.models.tuning (the hyper-parameter tuning problem)

`mdlfast.models.registry` lists every model with its unit, datasets and training recipe (what
`mdlfast zoo`, `mdlfast train` and `mdlfast tour` use).
"""
from mdlfast.models.autoencoder import PCA, Autoencoder, ConvAutoencoder, GaussianNoise
from mdlfast.models.cnn import Inception, InceptionNet, LeNet5, VGGNet
from mdlfast.models.conv_demos import detect_edges, edge_filters, toeplitz_demo
from mdlfast.models.linear import (LeastSquaresClassifier, LogisticRegression, OneVsOne,
                                   OneVsRest, SoftmaxRegression)
from mdlfast.models.mlp import MLP, DeepMLP
from mdlfast.models.resnet import BasicBlock, ResNet
from mdlfast.models.transfer import (freeze, to_numpy_state_dict, trainable_parameters,
                                     transfer_weights)
from mdlfast.models.vae import VAE, vae_loss
from mdlfast.models.vanishing import layer_gradient_norms, vanishing_gradient_study

__all__ = [
    "PCA", "Autoencoder", "ConvAutoencoder", "GaussianNoise", "VAE", "vae_loss", "freeze",
    "to_numpy_state_dict", "trainable_parameters", "transfer_weights",
    "BasicBlock", "DeepMLP", "Inception", "InceptionNet", "LeNet5", "LeastSquaresClassifier",
    "LogisticRegression", "MLP", "OneVsOne", "OneVsRest", "ResNet", "SoftmaxRegression",
    "VGGNet", "detect_edges", "edge_filters", "layer_gradient_norms", "toeplitz_demo",
    "vanishing_gradient_study",
]

# Unit 8 (sequence models and transformers): mdlfast.models.text, charlm, seqclass, seq2seq,
# skipgram and transformer.
from mdlfast.models.charlm import BigramLM, CharLM
from mdlfast.models.seq2seq import Seq2Seq
from mdlfast.models.seqclass import RecurrentClassifier
from mdlfast.models.skipgram import SkipGram
from mdlfast.models.transformer import MiniGPT, PositionalEncoding, TransformerClassifier

__all__ += ["BigramLM", "CharLM", "MiniGPT", "PositionalEncoding", "RecurrentClassifier",
            "Seq2Seq", "SkipGram", "TransformerClassifier"]
