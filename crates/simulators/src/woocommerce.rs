//! woocommerce simulator — to be built in its issue.
