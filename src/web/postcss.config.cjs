/** PostCSS for Mantine: rem()/em() functions, light-dark(), smaller-than/larger-than mixins. */
module.exports = {
  plugins: {
    'postcss-preset-mantine': {},
  },
};
