"""LeNet for JAX (the other models come from models.py with np bound to jax.numpy)."""
import jax
import jax.numpy as jnp


def lenet(w, x, labels):
    for i in (0, 2):
        a = jax.lax.conv_general_dilated(x, w[i], (1, 1), "VALID") + w[i + 1]
        x = jax.lax.reduce_window(jax.nn.relu(a), -jnp.inf, jax.lax.max, (1, 1, 2, 2),
                                  (1, 1, 2, 2), "VALID")
    h = jax.nn.relu(x.reshape(x.shape[0], -1) @ w[4] + w[5])
    logp = jax.nn.log_softmax(h @ w[6] + w[7])
    return -jnp.mean(logp[jnp.arange(labels.shape[0]), labels])
