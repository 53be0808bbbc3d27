x = "\u00e9 \" $${lit} %%{lit} ${~ a ~}"
/* c */ y = 1e3 # t
